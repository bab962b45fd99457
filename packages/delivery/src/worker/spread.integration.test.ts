/**
 * A small backlog is spread over the queue's connections: with a slow receiver, ten queued
 * messages go out over several connections at once (up to max-smtp-out), not one after the
 * other over the first connection that claimed them all. A queue whose due mail one connection
 * takes in its next claim wakes no second slot, nor does a small backlog that a connection known to
 * deliver fast takes at once (claim-pace.ts).
 */
import type { Redis } from 'ioredis';
import { Keys } from '@vmta/queue';
import { describe, expect, it } from 'vitest';
import { numberedMessage, openDeliveryTestbed, type SlowReceiver as Receiver } from '../testing/delivery-testbed.js';
import { slotsAdded } from '../testing/lane-events.js';
import { mta1ConfigText } from '../testing/mta1-config.js';

/** A queue with max-smtp-out 5 to a receiver that answers the dot after `replyMs`; `run` queues mail (`send`) before or after delivery starts. */
async function withQueue(
  replyMs: number,
  holder: boolean,
  run: (ctx: { receiver: Receiver; redis: Redis; prefix: string; send(i: number, receivedAt?: number): Promise<unknown>; start(): Promise<void> }) => Promise<void>,
): Promise<void> {
  const bed = await openDeliveryTestbed();
  const { redis, prefix, store } = bed;
  const receiver = await bed.slowReceiver(replyMs);
  const config = mta1ConfigText({ domain: [`  smtp-hosts [127.0.0.10]:${receiver.port}`, '  max-smtp-out 5'] });
  const send = (i: number, receivedAt = Date.now()) => store.enqueue(numberedMessage(i, 'spread.example', receivedAt));
  const start = async () => {
    await bed.deliver(config, { concurrency: 10, ...(holder ? { holder: { processId: 'p1', lastBeatAt: () => Date.now() } } : {}) });
  };
  try {
    await run({ receiver, redis, prefix, send, start });
  } finally {
    await bed.close();
  }
}

async function withBacklog(messages: number, replyMs: number, holder: boolean, check: (ctx: { receiver: Receiver; redis: Redis; prefix: string }) => Promise<void>): Promise<void> {
  await withQueue(replyMs, holder, async (ctx) => {
    // Queued before delivery starts: the first token sees the whole backlog at once.
    for (let i = 0; i < messages; i++) await ctx.send(i);
    await ctx.start();
    await expect.poll(() => ctx.receiver.received(), { timeout: 30_000, interval: 100 }).toBe(messages);
    await check(ctx);
  });
}

describe('spreading a backlog over connections', () => {
  it('sends ten queued messages to a slow receiver over several connections at once, never more than max-smtp-out', { timeout: 60_000 }, async () => {
    await withBacklog(10, 700, false, async ({ receiver }) => {
      expect(receiver.peak()).toBeGreaterThanOrEqual(3);
      expect(receiver.peak()).toBeLessThanOrEqual(5);
    });
  });

  it('wakes no second slot for two due messages: the first connection takes the other at its next claim', { timeout: 60_000 }, async () => {
    await withBacklog(2, 0, true, async ({ receiver, redis, prefix }) => {
      expect(receiver.connections()).toBe(1);
      expect(await slotsAdded(redis, prefix, 'spread.example/mta1')).toEqual([0]);
      // The run let go of its slot when it ended (its last, empty claim did): no holder, nothing listed under the process.
      const keys = new Keys(prefix);
      await expect.poll(() => redis.exists(keys.queueSlotHolder('spread.example/mta1', 0)), { timeout: 5_000 }).toBe(0);
      expect(await redis.smembers(keys.processSlots('p1'))).toEqual([]);
    });
  });

  // claim-pace.ts: without the pace the claim takes its share (one of four over five slots) and the three it leaves wake slot 1.
  it('sends four messages due at once over the first connection of a fast receiver, waking no second slot', { timeout: 60_000 }, async () => {
    await withQueue(0, true, async ({ receiver, redis, prefix, send, start }) => {
      await start();
      // The first message tells this process how fast the receiver is.
      await send(0);
      await expect.poll(() => receiver.received(), { timeout: 30_000, interval: 50 }).toBe(1);
      // Four more, all due at the same moment a little later: the claim that sees them sees all four.
      const due = Date.now() + 500;
      for (let i = 1; i <= 4; i++) await send(i, due);
      await expect.poll(() => receiver.received(), { timeout: 30_000, interval: 50 }).toBe(5);
      expect(await slotsAdded(redis, prefix, 'spread.example/mta1')).toEqual([0]);
      expect(receiver.peak()).toBe(1);
    });
  });
});
