/**
 * WAIT before 250, on a real primary and replica: a message is held (not due) until the replica
 * acknowledged it, then released; without the acknowledgement it is discarded, and the caller
 * gets ReplicationTimeoutError (the listener's 451).
 */
import { canStartSentinels, startSentinelSet, type SentinelSet } from '@vmta/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, MessageStore, QueueUnavailableError, ReplicationTimeoutError } from './index.js';
import { testMessage } from './testing/index.js';

const message = (other = 'other.test') =>
  testMessage(['a@example.com', 'b@example.com', `c@${other}`], { body: Buffer.from('Subject: replicated\r\n\r\nhello\r\n') });

describe.skipIf(!canStartSentinels())('MessageStore with WAIT for replicas', () => {
  let set: SentinelSet;
  let primary: Redis;
  let replica: Redis;
  let store: MessageStore;
  const prefix = 'wt';

  beforeAll(async () => {
    set = await startSentinelSet({ sentinels: 1 });
    await set.ready();
    primary = new Redis(set.servers[0]!.url);
    replica = new Redis(set.servers[1]!.url);
    replica.on('error', () => undefined);
    store = new MessageStore(primary, { prefix, wait: { replicas: 1, timeoutMs: 1500 } });
  }, 30_000);
  afterAll(async () => {
    await store?.dispatcher.close();
    store?.disconnectWaitConnections();
    primary?.disconnect();
    replica?.disconnect();
    await set?.dispose();
  });

  it('resolves once the replica has the message, its queue entries due at once', async () => {
    const before = Date.now();
    const { id, queues } = await store.enqueue(message());
    // The replica has everything the enqueue wrote (WAIT), and the release (same stream, in order).
    await expect.poll(() => replica.zscore(store.keys.queueReady('example.com/mta1'), id)).not.toBeNull();
    for (const q of queues) {
      for (const r of [primary, replica]) {
        const due = Number(await r.zscore(store.keys.queueReady(q), id));
        expect(due).toBeGreaterThanOrEqual(before);
        expect(due).toBeLessThanOrEqual(Date.now());
      }
    }
    expect(await replica.hget(store.keys.messageMeta(id), 'held')).toBeNull();
    expect(await primary.hget(store.keys.messageMeta(id), 'held')).toBeNull();
    expect((await store.get(id))?.recipients).toHaveLength(3);
  });

  it('without the replica: holds the message (not due) during WAIT, then discards it with its counts and throws ReplicationTimeoutError', async () => {
    const queued = async () => Number((await primary.hget(store.keys.queueState('example.com/mta1'), 'queued')) ?? 0);
    const received = async () => Number((await primary.hget(store.keys.totals(), 'received')) ?? 0);
    const [queuedBefore, receivedBefore] = [await queued(), await received()];
    await set.servers[1]!.kill();
    const watcher = new Redis(set.servers[0]!.url);
    const pending = store.enqueue(message('held.test')).catch((e: unknown) => e);
    // While WAIT blocks the store's connection, another one sees the message held and not due.
    let seen: { id: string; due: number; held: string | null } | undefined;
    for (let i = 0; i < 100 && !seen; i++) {
      const [id, due] = await watcher.zrange(store.keys.queueReady('held.test/mta1'), '0', '0', 'WITHSCORES');
      if (id) seen = { id, due: Number(due), held: await watcher.hget(store.keys.messageMeta(id), 'held') };
      else await new Promise((r) => setTimeout(r, 10));
    }
    expect(seen?.held).toBe('1');
    expect(seen!.due).toBeGreaterThan(Date.now() + 5000);
    const err = await pending;
    expect(err).toBeInstanceOf(ReplicationTimeoutError);
    expect(err).toMatchObject({ code: 'REPLICATION_TIMEOUT', acked: 0, wanted: 1, heldLeft: false });
    // Gone: keys, queue entries, counts.
    expect(await watcher.exists(store.keys.messageBody(seen!.id), store.keys.messageMeta(seen!.id), store.keys.messageRecipients(seen!.id))).toBe(0);
    expect(await watcher.zscore(store.keys.queueReady('held.test/mta1'), seen!.id)).toBeNull();
    expect(await watcher.zscore(store.keys.queueAge('held.test/mta1'), seen!.id)).toBeNull();
    expect([await queued(), await received()]).toEqual([queuedBefore, receivedBefore]);
    watcher.disconnect();

    // The replica back: accepted again.
    await set.restartStopped();
    await set.ready();
    await expect(store.enqueue(message())).resolves.toMatchObject({ queues: ['example.com/mta1', 'other.test/mta1'] });
  }, 30_000);

  it('the primary dies during the WAIT: QueueUnavailableError with heldLeft (the delete could not reach Redis; the 451 corner)', async () => {
    // A listener's connection (no offline queue): the delete fails at once instead of waiting for a primary.
    const conn = createRedis(set.servers[0]!.url, 'listener');
    conn.on('error', () => undefined);
    const own = new MessageStore(conn, { prefix, wait: { replicas: 1, timeoutMs: 5000 } });
    await set.servers[1]!.kill(); // no replica: the WAIT blocks for its whole timeout
    const pending = own.enqueue(message('cut.test')).catch((e: unknown) => e);
    const watcher = new Redis(set.servers[0]!.url);
    for (let i = 0; i < 200 && (await watcher.zcard(own.keys.queueReady('cut.test/mta1'))) === 0; i++) await new Promise((r) => setTimeout(r, 10));
    watcher.disconnect();
    await set.servers[0]!.kill();
    const err = await pending;
    expect(err).toBeInstanceOf(QueueUnavailableError);
    expect(err).toMatchObject({ code: 'QUEUE_UNAVAILABLE', heldLeft: true });
    await own.dispatcher.close().catch(() => undefined);
    own.disconnectWaitConnections();
    conn.disconnect();
  }, 30_000);
});
