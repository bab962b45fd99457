import { canStartPrivateRedis, startPrivateRedis, type PrivateRedis } from '@vmta/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from './redis.js';
import { coalesceWrites } from './redis-writes.js';

/** Counts the writes that reach the socket's own write functions (each is one system call or more). */
function socketWrites(redis: Redis): { calls: number; chunks: number } {
  const counts = { calls: 0, chunks: 0 };
  const stream = redis.stream as unknown as { _write: (...a: unknown[]) => void; _writev?: (chunks: unknown[], cb: unknown) => void };
  const write = stream._write.bind(stream);
  const writev = stream._writev?.bind(stream);
  stream._write = (...a: unknown[]) => {
    counts.calls++;
    counts.chunks++;
    write(...a);
  };
  if (writev) {
    stream._writev = (chunks: unknown[], cb: unknown) => {
      counts.calls++;
      counts.chunks += chunks.length;
      writev(chunks, cb);
    };
  }
  return counts;
}

const ready = (redis: Redis): Promise<void> => (redis.status === 'ready' ? Promise.resolve() : new Promise((resolve) => redis.once('ready', () => resolve())));

describe.skipIf(!canStartPrivateRedis())('coalesceWrites: the commands of one event-loop turn in one socket write', () => {
  let server: PrivateRedis;
  beforeAll(async () => {
    server = await startPrivateRedis({ appendOnly: false });
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** A coalescing connection, ready, with its socket's writes counted from now on. */
  async function onCoalesced(fn: (redis: Redis, counts: { calls: number; chunks: number }) => Promise<void>): Promise<void> {
    const redis = coalesceWrites(new Redis(server.url));
    try {
      await ready(redis);
      await fn(redis, socketWrites(redis));
    } finally {
      redis.disconnect();
    }
  }

  it('sends ten commands of one turn in one write, in order, each with its own reply', async () => {
    await onCoalesced(async (redis, counts) => {
      const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => redis.incrby('coalesce:n', i + 1)));
      // Running sums: the commands reached Redis in the order they were sent.
      expect(replies).toEqual([1, 3, 6, 10, 15, 21, 28, 36, 45, 55]);
      expect(counts).toEqual({ calls: 1, chunks: 10 });
    });
  });

  it('does not hold a command past its turn: a command awaited before the next one goes out on its own', async () => {
    await onCoalesced(async (redis, counts) => {
      expect(await redis.set('coalesce:a', '1')).toBe('OK');
      expect(await redis.get('coalesce:a')).toBe('1');
      expect(counts).toEqual({ calls: 2, chunks: 2 });
    });
  });

  it('keeps a MULTI and the commands around it whole and in order', async () => {
    await onCoalesced(async (redis, counts) => {
      const [before, tx, after] = await Promise.all([redis.set('coalesce:m', 'a'), redis.multi().append('coalesce:m', 'b').append('coalesce:m', 'c').exec(), redis.append('coalesce:m', 'd')]);
      expect(before).toBe('OK');
      expect(tx).toEqual([
        [null, 2],
        [null, 3],
      ]);
      expect(after).toBe(4);
      expect(await redis.get('coalesce:m')).toBe('abcd');
      expect(counts.calls).toBe(2);
    });
  });

  it("corks a reconnect's new socket and a duplicate's socket too (BullMQ's connections are duplicates)", async () => {
    const redis = coalesceWrites(new Redis(server.url));
    const copy = redis.duplicate();
    try {
      await Promise.all([ready(redis), ready(copy)]);
      const first = redis.stream;
      redis.disconnect(true);
      await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
      expect(redis.stream).not.toBe(first);
      for (const conn of [redis, copy]) {
        const counts = socketWrites(conn);
        await Promise.all([conn.ping(), conn.ping(), conn.ping()]);
        expect(counts).toEqual({ calls: 1, chunks: 3 });
      }
    } finally {
      redis.disconnect();
      copy.disconnect();
    }
  });

  it('is what a delivery connection does per turn and a listener connection per event-loop iteration; a CLI connection writes each command at once', async () => {
    const delivery = createRedis(server.url, 'delivery');
    const listener = createRedis(server.url, 'listener');
    const cli = createRedis(server.url, 'cli');
    try {
      await Promise.all([ready(delivery), ready(listener), ready(cli)]);
      const counts = [delivery, listener, cli].map(socketWrites);
      // Two commands of one turn, then one from a later turn of the same iteration (as another SMTP session's read would be).
      const sends = (r: Redis): Promise<unknown>[] => {
        const first = [r.ping(), r.ping()];
        const later = new Promise((resolve, reject) => process.nextTick(() => void r.ping().then(resolve, reject)));
        return [...first, later];
      };
      await Promise.all([delivery, listener, cli].flatMap(sends));
      expect(counts.map((c) => c.calls)).toEqual([2, 1, 3]);
      expect(counts[1]!.chunks).toBe(3);
      // An awaited command is not held past its iteration.
      await listener.set('iteration-key', 'v');
      expect(await listener.get('iteration-key')).toBe('v');
    } finally {
      delivery.disconnect();
      listener.disconnect();
      cli.disconnect();
    }
  });
});
