import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { GLOBAL_STORE, SuppressionStore } from './suppression-store.js';

describe('SuppressionStore.lookup', () => {
  let t: TestRedis;
  let redis: Redis;
  let store: SuppressionStore;
  const now = Date.parse('2026-12-03T10:00:00Z');

  beforeAll(async () => {
    t = await getTestRedis();
    redis = new Redis(t.url);
    store = new SuppressionStore(redis, t.prefix.slice(0, -1));
    await store.add('alice', [{ address: 'both@x.example', reason: 'bad-mailbox' }, { address: 'Old@X.example', reason: 'spam-related', ttlMs: 1000 }], now - 5000);
    await store.add(GLOBAL_STORE, [{ address: 'both@x.example', reason: 'manual' }, { address: 'old@x.example', reason: 'policy-related' }, { address: 'all@x.example', reason: 'manual' }], now);
    await store.add('bob', [{ address: 'bob-only@x.example', reason: 'manual' }], now);
  });
  afterAll(async () => {
    redis.disconnect();
    await t.cleanup();
  });

  it.each<[string, string, string | undefined]>([
    ['alice', 'both@x.example', 'bad-mailbox'],
    ['alice', 'BOTH@x.example', 'bad-mailbox'],
    ['alice', 'old@x.example', 'policy-related'],
    ['alice', 'all@x.example', 'manual'],
    ['alice', 'bob-only@x.example', undefined],
    ['alice', 'nobody@x.example', undefined],
    ['bob', 'bob-only@x.example', 'manual'],
    [GLOBAL_STORE, 'both@x.example', 'manual'],
    [GLOBAL_STORE, 'bob-only@x.example', undefined],
  ])('tenant %s, address %s: %s (the tenant first, an expired entry skipped, then the global store)', async (tenant, address, reason) => {
    expect((await store.lookup(tenant, address, now))?.reason).toBe(reason);
  });
});
