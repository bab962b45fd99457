import { Redis } from 'ioredis';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as constants from './constants.js';
import { scripts } from './index.js';

describe('the queue scripts on a connection', () => {
  let t: TestRedis;
  let redis: Redis;
  beforeAll(async () => {
    t = await getTestRedis();
    redis = new Redis(t.url);
  });
  afterAll(async () => {
    await t.cleanup();
    redis.disconnect();
  });

  it('defines the scripts once per connection and hands back the same methods each time', () => {
    expect(scripts(redis)).toBe(scripts(redis));
    const other = redis.duplicate();
    try {
      expect(scripts(other)).not.toBe(scripts(redis));
    } finally {
      other.disconnect();
    }
  });

  it('queues a script on a pipeline made after the scripts, and refuses a pipeline made before them', async () => {
    const fresh = redis.duplicate();
    try {
      const early = fresh.pipeline();
      const s = scripts(fresh);
      expect(() => s.on(early).requeue({ ready: 'r', inflight: 'i', state: 's', holder: 'h' }, 0)).toThrow(/make pipelines after scripts/);
      const keys = { ready: `${t.prefix}ready`, inflight: `${t.prefix}inflight`, state: `${t.prefix}state`, holder: `${t.prefix}holder` };
      await fresh.sadd(keys.inflight, 'a', 'b');
      const pipeline = fresh.pipeline();
      s.on(pipeline).requeue(keys, 5);
      expect(await pipeline.exec()).toEqual([[null, 2]]);
      expect(await fresh.zrange(keys.ready, '0', '-1', 'WITHSCORES')).toEqual(['a', '5', 'b', '5']);
    } finally {
      fresh.disconnect();
    }
  });

  it('gives every reply code of a script a number no other code of that script uses', () => {
    const { CLAIM_PAUSED, OUTCOMES_MESSAGE_GONE, SLOT_LOST, LEASE_HELD, LEASE_NOT_HELD, QUEUE_NEEDS_WAKE, QUEUE_NEEDS_NO_WAKE, QUEUE_RETIRED, QUEUE_KEPT } = constants;
    // Negative codes stand in for counts (never negative), so they must not meet either.
    expect(new Set([CLAIM_PAUSED, OUTCOMES_MESSAGE_GONE, SLOT_LOST]).size).toBe(3);
    expect(Math.max(CLAIM_PAUSED, OUTCOMES_MESSAGE_GONE, SLOT_LOST)).toBeLessThan(0);
    expect(LEASE_HELD).not.toBe(LEASE_NOT_HELD);
    expect(QUEUE_NEEDS_WAKE).not.toBe(QUEUE_NEEDS_NO_WAKE);
    expect(QUEUE_RETIRED).not.toBe(QUEUE_KEPT);
  });
});
