import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { Cluster } from '../cluster.js';
import { eventStreamState, readEvents } from './events.js';

describe('event stream views', () => {
  let t: TestRedis;
  let redis: Redis;
  let cluster: Cluster;
  let key: string;

  beforeEach(async () => {
    t = await getTestRedis();
    redis = new Redis(t.url);
    cluster = new Cluster(redis, t.prefix.slice(0, -1));
    key = cluster.keys.accounting();
  });
  afterEach(async () => {
    await cluster.close();
    redis.disconnect();
    await t.cleanup();
  });

  const add = (ms: number, type: string, rcpt: string) => redis.xadd(key, `${ms}-0`, 'type', type, 'rcpt', rcpt, 'queue', 'x.example/v1');

  it('reads from an id or a time, filters by type, and reads on from the cursor', async () => {
    await add(1_000, 'r', 'a@x.example');
    await add(2_000, 'd', 'a@x.example');
    await add(3_000, 'b', 'b@x.example');
    await add(4_000, 's', 'b@x.example');
    expect((await readEvents(cluster, { count: 2 })).events.map((e) => e.id)).toEqual(['3000-0', '4000-0']);
    expect((await readEvents(cluster, { from: '2000-0' })).events.map((e) => e.type)).toEqual(['d', 'b', 's']);
    expect((await readEvents(cluster, { from: new Date(2_500).toISOString(), types: ['b'] })).events.map((e) => e.recipient)).toEqual(['b@x.example']);
    const page = await readEvents(cluster, { from: '0', count: 2 });
    expect(page.cursor).toBe('2000-0');
    expect((await readEvents(cluster, { after: page.cursor })).events.map((e) => e.id)).toEqual(['3000-0', '4000-0']);
    await expect(readEvents(cluster, { from: 'yesterday-ish' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('tells each webhook group its pending events and the age of the oldest', async () => {
    expect(await eventStreamState(cluster)).toMatchObject({ length: 0, webhooks: [] });
    await redis.xgroup('CREATE', key, 'webhook:p', '0', 'MKSTREAM');
    await redis.xgroup('CREATE', key, 'acct:a.csv', '0');
    await add(10_000, 'd', 'a@x.example');
    await add(20_000, 'd', 'b@x.example');
    await add(30_000, 'd', 'c@x.example');
    await redis.xreadgroup('GROUP', 'webhook:p', 'c1', 'COUNT', 2, 'STREAMS', key, '>');
    await redis.xack(key, 'webhook:p', '10000-0');
    const state = await eventStreamState(cluster, 25_000);
    expect(state.length).toBe(3);
    expect(state.webhooks).toEqual([{ webhook: 'p', pending: 1, oldestPendingAgeMs: 5_000, unread: 1 }]);
  });
});
