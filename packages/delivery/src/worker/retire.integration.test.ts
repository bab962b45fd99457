import { Redis } from 'ioredis';
import { loadConfigText } from '@vmta/config';
import { MessageStore, queueNames, QueueOps } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { startReceiver } from '../testing/test-smtp-receiver.js';
import { startDelivery } from './delivery-service.js';

const message = (address: string) => testMessage(address, { body: Buffer.from('Subject: retire test\r\n\r\nhello\r\n') });

describe('idle queues leave the queue index', () => {
  it('retires a drained queue, and a message right after the retire brings it back and is delivered', { timeout: 30_000 }, async () => {
    const t = await getTestRedis();
    const redis = new Redis(t.url);
    const prefix = t.prefix.slice(0, -1);
    const receiver = await startReceiver({ host: '127.0.0.10', startTls: false });
    const store = new MessageStore(redis, { prefix });
    const ops = new QueueOps(redis, prefix);
    const config = loadConfigText(
      ['<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 mta1.example.test', '</virtual-mta>', '<domain *>', `  smtp-hosts [127.0.0.10]:${receiver.port}`, '</domain>'].join('\n'),
    );
    const delivery = await startDelivery({ config, redisUrl: t.url, prefix, concurrency: 4, retireIdleMs: 500 });
    try {
      await store.enqueue(message('a@idle.example'));
      await store.enqueue(message('a@held.example'));
      await expect.poll(() => receiver.messages.length, { timeout: 10_000 }).toBe(2);
      await ops.pause('held.example/mta1');
      // Retired once seen empty and idle for 500 ms; the paused queue stays.
      await expect.poll(() => queueNames(redis, ops.keys), { timeout: 10_000, interval: 50 }).toEqual(['held.example/mta1']);
      await store.enqueue(message('b@idle.example'));
      expect(await queueNames(redis, ops.keys)).toEqual(['held.example/mta1', 'idle.example/mta1']);
      await expect.poll(() => receiver.messages.length, { timeout: 10_000 }).toBe(3);
      expect(receiver.messages[2]!.to).toEqual(['b@idle.example']);
      await expect.poll(() => ops.stats('idle.example/mta1'), { timeout: 5_000 }).toMatchObject({ queued: 0, delivered: 1 });
    } finally {
      await delivery.close();
      await store.dispatcher.close();
      await receiver.close();
      redis.disconnect();
      await t.cleanup();
    }
  });
});
