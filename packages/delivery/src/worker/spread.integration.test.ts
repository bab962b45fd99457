/**
 * A small backlog is spread over the queue's connections: with a slow receiver, ten queued
 * messages go out over several connections at once (up to max-smtp-out), not one after the
 * other over the first connection that claimed them all.
 */
import { Redis } from 'ioredis';
import { loadConfigText } from '@vmta/config';
import { MessageStore } from '@vmta/queue';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { startSlowReceiver } from '../testing/test-smtp-receiver.js';
import { startDelivery } from './delivery-service.js';

describe('spreading a backlog over connections', () => {
  it('sends ten queued messages to a slow receiver over several connections at once, never more than max-smtp-out', { timeout: 60_000 }, async () => {
    const t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    const receiver = await startSlowReceiver(700);
    const redis = new Redis(t.url);
    const store = new MessageStore(redis, { prefix });
    const config = loadConfigText(
      ['<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 mta1.example.test', '</virtual-mta>', '<domain *>', `  smtp-hosts [127.0.0.10]:${receiver.port}`, '  max-smtp-out 5', '</domain>'].join('\n'),
    );
    // Queued before delivery starts: the first token sees the whole backlog at once.
    for (let i = 0; i < 10; i++) {
      await store.enqueue({
        mailFrom: 's@example.org',
        recipients: [{ address: `r${i}@spread.example`, domain: 'spread.example' }],
        body: Buffer.from(`Subject: ${i}\r\n\r\nbody\r\n`),
        vmta: 'mta1',
        source: { ip: '127.0.0.9', listener: 'test' },
        receivedAt: Date.now(),
      });
    }
    const delivery = await startDelivery({ config, redisUrl: t.url, prefix, concurrency: 10 });
    try {
      await expect.poll(() => receiver.received(), { timeout: 30_000, interval: 100 }).toBe(10);
      expect(receiver.peak()).toBeGreaterThanOrEqual(3);
      expect(receiver.peak()).toBeLessThanOrEqual(5);
    } finally {
      await delivery.close();
      await store.dispatcher.close();
      redis.disconnect();
      await receiver.close();
      await t.cleanup();
    }
  });
});
