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
  it("clears the enqueue's wake mark once the token is there, and keeps it when the token could not be added", async () => {
    const keys = new Keys(prefix);
    const ref = { queue: 'mark.example/mta3', domain: 'mark.example', vmta: 'mta3' };
    const mark = JSON.stringify(ref);
    const d = new Dispatcher(redis, prefix);
    await redis.sadd(keys.wakeSet(), mark);
    await d.wake(ref, 0, mark);
    expect(await redis.sismember(keys.wakeSet(), mark)).toBe(0);
    expect(await redis.exists(keys.queueAwake(ref.queue))).toBe(1);
    await d.close();
    const failing = { queue: 'mark.example/mta4', domain: 'mark.example', vmta: 'mta4' };
    const failingMark = JSON.stringify(failing);
    const racing = racingDispatcher('mta4', 100);
    await redis.sadd(keys.wakeSet(), failingMark);
    await expect(racing.wake(failing, 0, failingMark)).rejects.toThrow(/could not be added/);
    expect(await redis.sismember(keys.wakeSet(), failingMark)).toBe(1);
    await redis.srem(keys.wakeSet(), failingMark);
    await racing.close();
  });

  it('leaves a delayed token of a queue in retry mode asleep, and wakes a delayed token of a queue in normal mode', async () => {
    const keys = new Keys(prefix);
    const d = new Dispatcher(redis, prefix);
    const held = { queue: 'held.example/mta5', domain: 'held.example', vmta: 'mta5' };
    const due = { queue: 'due.example/mta5', domain: 'due.example', vmta: 'mta5' };
    await d.rewakeLater(held, 0, 3_600_000);
    await d.rewakeLater(due, 0, 3_600_000);
    await redis.hset(keys.queueState(held.queue), 'mode', 'retry');
    await d.wake(held);
    await d.wake(due);
    expect(await (await d.tokenJob(held))?.getState()).toBe('delayed');
    expect(await redis.exists(keys.queueAwake(held.queue))).toBe(0);
    expect(await (await d.tokenJob(due))?.getState()).toBe('waiting');
    expect(await redis.exists(keys.queueAwake(due.queue))).toBe(1);
    await d.close();
  });

  it('the wake sweep drops the mark of a queue with no waiting mail, adding no token, and wakes a queue with mail due now or later', async () => {
    const keys = new Keys(prefix);
    const d = new Dispatcher(redis, prefix);
    const idle = { queue: 'idle.example/mta7', domain: 'idle.example', vmta: 'mta7' };
    const due = { queue: 'busy.example/mta7', domain: 'busy.example', vmta: 'mta7' };
    const later = { queue: 'later.example/mta7', domain: 'later.example', vmta: 'mta7' };
    await redis.zadd(keys.queueReady(due.queue), Date.now(), 'm1');
    await redis.zadd(keys.queueReady(later.queue), Date.now() + 3_600_000, 'm2');
    await redis.sadd(keys.wakeSet(), ...[idle, due, later].map((r) => JSON.stringify(r)));
    expect(await d.sweepWakes()).toBe(2);
    expect(await redis.smembers(keys.wakeSet())).toEqual([]);
    expect(await d.tokenJob(idle)).toBeUndefined();
    expect(await redis.exists(keys.queueAwake(idle.queue))).toBe(0);
    expect(await (await d.tokenJob(due))?.getState()).toBe('waiting');
    expect(await (await d.tokenJob(later))?.getState()).toBe('waiting');
    expect(await d.sweepWakes()).toBe(0);
    await d.close();
  });

  it('wakes a fresh queue in two Redis calls: the add and one script that looks at the token and sets the marks', async () => {
    const d = new Dispatcher(redis, prefix);
    // Scripts loaded and connections ready first: a first call may load a script (NOSCRIPT, then EVAL).
    await d.wake({ queue: 'warm.example/mta6', domain: 'warm.example', vmta: 'mta6' });
    const sent = vi.spyOn(Redis.prototype, 'sendCommand');
    try {
      await d.wake({ queue: 'fresh.example/mta6', domain: 'fresh.example', vmta: 'mta6' }, 0, 'mark');
      expect(sent.mock.calls.map(([c]) => (c as { name: string }).name)).toHaveLength(2);
    } finally {
      sent.mockRestore();
    }
    await d.close();
  });
});
