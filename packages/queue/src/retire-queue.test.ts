import { sharedQueueTestbed, testMessage } from './testing/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueNames } from './index.js';

const message = testMessage;

describe('retiring empty, idle queues (retireQueue)', () => {
  const bed = sharedQueueTestbed(beforeAll, afterAll);

  /** Enqueues one message to the queue and delivers it (its outcome recorded). */
  async function deliverOne(address: string, queue: string): Promise<void> {
    const { id } = await bed.store.enqueue(message(address));
    const [claimed] = await bed.ops.claimDue(queue, 0, Date.now(), 1);
    expect(claimed).toBe(id);
    const msg = (await bed.store.get(id))!;
    await bed.ops.recordOutcomes({ id, queue, slot: 0, recipients: [{ ...msg.recipients[0]!, state: 'delivered', attempts: 1 }] });
  }

  it('retires a queue seen empty in normal mode for the idle time, and keeps the cluster totals', async () => {
    const q = 'gone.example/mta1';
    await deliverOne('a@gone.example', q);
    const totals = await bed.redis.hgetall(bed.ops.keys.totals());
    expect(await bed.ops.retireIfIdle(q, 1_000, 600)).toBe(false); // first seen empty: the idle time starts
    expect(await bed.ops.retireIfIdle(q, 1_500, 600)).toBe(false); // not idle long enough
    expect(await bed.ops.retireIfIdle(q, 1_600, 600)).toBe(true);
    expect(await queueNames(bed.redis, bed.ops.keys)).not.toContain(q);
    expect(await bed.redis.exists(bed.ops.keys.queueState(q))).toBe(0);
    expect(await bed.redis.hgetall(bed.ops.keys.totals())).toEqual(totals);
  });

  it('starts the idle time over when the queue had outcomes or mail in between', async () => {
    const q = 'busy.example/mta1';
    await deliverOne('a@busy.example', q);
    expect(await bed.ops.retireIfIdle(q, 1_000, 600)).toBe(false);
    await deliverOne('b@busy.example', q); // activity between two sweeps: the counters moved
    expect(await bed.ops.retireIfIdle(q, 2_000, 600)).toBe(false);
    expect(await bed.ops.retireIfIdle(q, 2_500, 600)).toBe(false);
    await bed.store.enqueue(message('c@busy.example')); // mail waiting: never retired
    expect(await bed.ops.retireIfIdle(q, 9_000, 600)).toBe(false);
    expect(await bed.ops.retireIfIdle(q, 99_000, 600)).toBe(false);
    expect(await queueNames(bed.redis, bed.ops.keys)).toContain(q);
  });

  it('never retires a paused queue or one in retry mode', async () => {
    for (const [q, address, set] of [
      ['paused.example/mta1', 'a@paused.example', () => bed.ops.pause('paused.example/mta1')],
      ['retry.example/mta1', 'a@retry.example', () => bed.ops.enterRetry('retry.example/mta1', Date.now() + 3_600_000)],
    ] as const) {
      await deliverOne(address, q);
      await set();
      for (const now of [1_000, 10_000, 100_000]) expect(await bed.ops.retireIfIdle(q, now, 600)).toBe(false);
      expect(await queueNames(bed.redis, bed.ops.keys)).toContain(q);
    }
  });

  it('brings a queue back with an enqueue right after its retire: indexed, counted, its token woken', async () => {
    const q = 'back.example/mta1';
    await deliverOne('a@back.example', q);
    // No token is awake any more (the queue ran dry): the next enqueue must wake one.
    await bed.redis.del(bed.ops.keys.queueAwake(q));
    await (await bed.store.dispatcher.tokenJob({ queue: q, vmta: 'mta1' }))?.remove();
    expect(await bed.ops.retireIfIdle(q, 1_000, 0)).toBe(false);
    expect(await bed.ops.retireIfIdle(q, 1_000, 0)).toBe(true);
    const { id, woken } = await bed.store.enqueue(message('b@back.example'));
    expect(woken).toBe(true);
    expect(await queueNames(bed.redis, bed.ops.keys)).toContain(q);
    expect((await bed.ops.stats(q)).queued).toBe(1);
    expect(await bed.store.queued(q)).toEqual([id]);
    expect(await bed.store.dispatcher.tokenJob({ queue: q, vmta: 'mta1' }, 0)).toBeDefined();
    // A retire now finds mail and keeps the queue.
    expect(await bed.ops.retireIfIdle(q, 99_000, 0)).toBe(false);
  });
});
