/**
 * A small backlog is spread over the queue's connections: with a slow receiver, ten queued
 * messages go out over several connections at once (up to max-smtp-out), not one after the
 * other over the first connection that claimed them all.
 */
import { Redis } from 'ioredis';
import { loadConfigText } from '@vmta/config';
import { MessageStore } from '@vmta/queue';
import { getTestRedis } from '@vmta/testing';
import { SMTPServer } from 'smtp-server';
import { describe, expect, it } from 'vitest';
import { startDelivery } from './delivery-service.js';

/** Answers each message after `delayMs` and records the most connections open at once. */
async function slowReceiver(delayMs: number) {
  let open = 0;
  let peak = 0;
  let received = 0;
  const server = new SMTPServer({
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    onConnect(_s, cb) {
      open += 1;
      peak = Math.max(peak, open);
      cb();
    },
    onClose() {
      open -= 1;
    },
    onData(stream, _s, cb) {
      stream.resume();
      stream.on('end', () =>
        setTimeout(() => {
          received += 1;
          cb();
        }, delayMs),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.10', resolve));
  const port = (server.server.address() as { port: number }).port;
  return { port, peak: () => peak, received: () => received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('spreading a backlog over connections', () => {
  it('sends ten queued messages to a slow receiver over several connections at once, never more than max-smtp-out', { timeout: 60_000 }, async () => {
    const t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    const receiver = await slowReceiver(700);
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
