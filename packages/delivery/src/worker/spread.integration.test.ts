/**
 * A small backlog is spread over the queue's connections: with a slow receiver, ten queued
 * messages go out over several connections at once (up to max-smtp-out), not one after the
 * other over the first connection that claimed them all. A queue whose due mail one connection
 * takes in its next claim wakes no second slot.
 */
import { Redis } from 'ioredis';
import { loadConfigText } from '@vmta/config';
import { Keys, laneName, MessageStore, tokenId } from '@vmta/queue';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { startSlowReceiver } from '../testing/test-smtp-receiver.js';
import { startDelivery } from './delivery-service.js';

async function withBacklog(messages: number, replyMs: number, holder: boolean, check: (ctx: { receiver: Awaited<ReturnType<typeof startSlowReceiver>>; redis: Redis; prefix: string }) => Promise<void>): Promise<void> {
  const t = await getTestRedis();
  const prefix = t.prefix.slice(0, -1);
  const receiver = await startSlowReceiver(replyMs);
  const redis = new Redis(t.url);
  const store = new MessageStore(redis, { prefix });
  const config = loadConfigText(
    ['<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 mta1.example.test', '</virtual-mta>', '<domain *>', `  smtp-hosts [127.0.0.10]:${receiver.port}`, '  max-smtp-out 5', '</domain>'].join('\n'),
  );
  // Queued before delivery starts: the first token sees the whole backlog at once.
  for (let i = 0; i < messages; i++) {
    await store.enqueue({
      mailFrom: 's@example.org',
      recipients: [{ address: `r${i}@spread.example`, domain: 'spread.example' }],
      body: Buffer.from(`Subject: ${i}\r\n\r\nbody\r\n`),
      vmta: 'mta1',
      source: { ip: '127.0.0.9', listener: 'test' },
      receivedAt: Date.now(),
    });
  }
  const delivery = await startDelivery({ config, redisUrl: t.url, prefix, concurrency: 10, ...(holder ? { holder: { processId: 'p1', lastBeatAt: () => Date.now() } } : {}) });
  try {
    await expect.poll(() => receiver.received(), { timeout: 30_000, interval: 100 }).toBe(messages);
    await check({ receiver, redis, prefix });
  } finally {
    await delivery.close();
    await store.dispatcher.close();
    redis.disconnect();
    await receiver.close();
    await t.cleanup();
  }
}

/** The slots whose token was ever added to the lane (BullMQ's event stream of the lane). */
async function slotsAdded(redis: Redis, prefix: string, queue: string): Promise<number[]> {
  const events = await redis.xrange(`${new Keys(prefix).bullPrefix()}:${laneName('mta1')}:events`, '-', '+');
  const slots = new Set<number>();
  for (const [, fields] of events) {
    const at = fields.indexOf('jobId');
    for (let slot = 0; slot < 5; slot++) if (fields[at + 1] === tokenId(queue, slot) && fields.includes('added')) slots.add(slot);
  }
  return [...slots].sort();
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
});
