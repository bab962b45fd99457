import { getTestRedis, type TestRedis } from '@vmta/testing';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Dispatcher, type TokenData } from './dispatch.js';
import { Keys } from './keys.js';

describe('waking a queue (Dispatcher.wake)', () => {
  let t: TestRedis;
  let redis: Redis;
  let prefix: string;

  beforeAll(async () => {
    t = await getTestRedis();
    redis = new Redis(t.url);
    prefix = t.prefix.slice(0, -1);
  });
  afterAll(async () => {
    await t.cleanup();
    redis.disconnect();
  });

  /** A dispatcher whose first `ended` adds meet a token that ends right after the add (deduplicated, then removed). */
  function racingDispatcher(vmta: string, ended: number): Dispatcher {
    const d = new Dispatcher(redis, prefix);
    const lane = d.lane(vmta);
    const add = lane.add.bind(lane);
    let left = ended;
    vi.spyOn(lane, 'add').mockImplementation(async (...args: Parameters<typeof lane.add>) => {
      const job = (await add(...args)) as Job<TokenData>;
      if (left-- > 0) await job.remove();
      return job;
    });
    return d;
  }

  it('adds the token again when the add met the old token as it ended, and only then marks the queue awake', async () => {
    const ref = { queue: 'race.example/mta1', domain: 'race.example', vmta: 'mta1' };
    const d = racingDispatcher('mta1', 2);
    await d.wake(ref);
    const job = await d.tokenJob(ref);
    expect(await job?.getState()).toBe('waiting');
    expect(await redis.exists(new Keys(prefix).queueAwake(ref.queue))).toBe(1);
    await d.close();
  });

  it('gives up with an error, leaving the queue unmarked, when every add meets an ending token', async () => {
    const ref = { queue: 'gone.example/mta2', domain: 'gone.example', vmta: 'mta2' };
    const d = racingDispatcher('mta2', 100);
    await expect(d.wake(ref)).rejects.toThrow(/could not be added/);
    expect(await redis.exists(new Keys(prefix).queueAwake(ref.queue))).toBe(0);
    await d.close();
  });
});
