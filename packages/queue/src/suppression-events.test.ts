import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { toEvent } from './events.js';
import { Keys } from './keys.js';
import { SuppressionStore } from './suppression-store.js';

describe('suppression events', () => {
  let t: TestRedis;
  let redis: Redis;
  let key: string;
  let store: SuppressionStore;

  beforeEach(async () => {
    t = await getTestRedis();
    redis = new Redis(t.url);
    const prefix = t.prefix.slice(0, -1);
    key = new Keys(prefix).accounting();
    store = new SuppressionStore(redis, prefix);
  });
  afterEach(async () => {
    redis.disconnect();
    await t.cleanup();
  });

  it('writes nothing to the stream when nothing reads it (no stream)', async () => {
    await store.add('alice', [{ address: 'x@y.example', reason: 'manual' }]);
    expect(await redis.exists(key)).toBe(0);
  });

  it('writes one s event per address added once the stream exists', async () => {
    await redis.xgroup('CREATE', key, 'webhook:p', '$', 'MKSTREAM');
    const now = Date.parse('2026-12-03T10:00:00Z');
    await store.add('alice', [{ address: 'Bad@Y.example', reason: 'bad-mailbox', queue: 'y.example/v1', reply: '550 5.1.1 no such user', ttlMs: 60_000 }, { address: 'b@y.example', reason: 'manual' }], now);
    const entries = (await redis.xrange(key, '-', '+')) as Array<[string, string[]]>;
    const events = entries.map(([id, f]) => {
      const e = toEvent(id, f);
      return { type: e.type, time: e.time, recipient: e.recipient, tenant: e.tenant, reason: e.reason, queue: e.queue, dsnDiag: e.dsnDiag, expires: e.fields.expires };
    });
    expect(events).toEqual([
      { type: 's', time: '2026-12-03T10:00:00.000Z', recipient: 'bad@y.example', tenant: 'alice', reason: 'bad-mailbox', queue: 'y.example/v1', dsnDiag: '550 5.1.1 no such user', expires: String(now + 60_000) },
      { type: 's', time: '2026-12-03T10:00:00.000Z', recipient: 'b@y.example', tenant: 'alice', reason: 'manual', queue: undefined, dsnDiag: undefined, expires: '' },
    ]);
    expect(await store.lookup('alice', 'bad@y.example', now)).toMatchObject({ reason: 'bad-mailbox' });
  });
});
