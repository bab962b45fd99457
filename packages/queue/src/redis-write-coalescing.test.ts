import type { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, redisReady, type RedisRole } from './redis.js';

/** Counts the socket's writes to the kernel (one _write or _writev call each). */
function countWrites(redis: Redis): () => number {
  const stream = (redis as unknown as { stream: Writable & { _write: (...a: unknown[]) => void; _writev?: (...a: unknown[]) => void } }).stream;
  let n = 0;
  const w = stream._write.bind(stream);
  stream._write = (...a: unknown[]) => {
    n++;
    w(...a);
  };
  const wv = stream._writev?.bind(stream);
  if (wv) {
    stream._writev = (...a: unknown[]) => {
      n++;
      wv(...a);
    };
  }
  return () => n;
}

describe('coalesced Redis writes of the listener connection', () => {
  let t: TestRedis;
  const open: Redis[] = [];
  const connect = async (role: RedisRole) => {
    const r = createRedis(t.url, role);
    open.push(r);
    await redisReady(r);
    return r;
  };
  beforeAll(async () => {
    t = await getTestRedis();
  });
  afterAll(async () => {
    for (const r of open) r.disconnect();
    await t.cleanup();
  });

  it.each<[RedisRole, number]>([
    ['listener', 1],
    ['cli', 10],
  ])('a %s connection sends ten commands of one turn of the event loop in %i write(s), replies in order', async (role, writes) => {
    const redis = await connect(role);
    const writesSoFar = countWrites(redis);
    const keys = Array.from({ length: 5 }, (_, i) => `${t.prefix}k${role}${i}`);
    const replies = await Promise.all([...keys.map((k, i) => redis.set(k, `v${i}`)), ...keys.map((k) => redis.get(k))]);
    expect(replies).toEqual([...keys.map(() => 'OK'), ...keys.map((_, i) => `v${i}`)]);
    expect(writesSoFar()).toBe(writes);
  });

  it('sends each command of consecutive turns (nothing waits for a later command)', async () => {
    const redis = await connect('listener');
    for (let i = 0; i < 5; i++) expect(await redis.incr(`${t.prefix}counter`)).toBe(i + 1);
  });

  it('coalesces again after a reconnect', async () => {
    const redis = await connect('listener');
    redis.disconnect(true);
    await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
    const writesSoFar = countWrites(redis);
    expect(await Promise.all([redis.ping(), redis.ping(), redis.ping()])).toEqual(['PONG', 'PONG', 'PONG']);
    expect(writesSoFar()).toBe(1);
  });
});
