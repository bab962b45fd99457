import { queueNames } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';
import { describe, expect, it } from 'vitest';
import { openDeliveryTestbed } from '../testing/delivery-testbed.js';
import { mta1ConfigText } from '../testing/mta1-config.js';

const message = (address: string) => testMessage(address, { body: Buffer.from('Subject: retire test\r\n\r\nhello\r\n') });

describe('idle queues leave the queue index', () => {
  it('retires a drained queue, and a message right after the retire brings it back and is delivered', { timeout: 30_000 }, async () => {
    const bed = await openDeliveryTestbed();
    const { redis, store, ops } = bed;
    const receiver = await bed.receiver({ host: '127.0.0.10', startTls: false });
    await bed.deliver(mta1ConfigText({ domain: [`  smtp-hosts [127.0.0.10]:${receiver.port}`] }), { concurrency: 4, retireIdleMs: 500 });
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
      await bed.close();
    }
  });
});
