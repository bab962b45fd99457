/**
 * Delivery on a Redis Sentinel set: the primary dies, the Sentinels promote the replica, and the
 * running delivery process (its BullMQ connections too) goes on with the new primary by itself.
 */
import { loadConfigText } from '@vmta/config';
import { createRedis, MessageStore, type NewMessage } from '@vmta/queue';
import { canStartSentinels, startSentinelSet, type SentinelSet } from '@vmta/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../testing/test-smtp-receiver.js';
import { startDelivery, type RunningDelivery } from './delivery-service.js';

const message = (n: number): NewMessage => ({
  mailFrom: '',
  recipients: [{ address: `r${n}@d${n % 3}.example`, domain: `d${n % 3}.example` }],
  body: Buffer.from(`Subject: failover ${n}\r\n\r\nhello\r\n`),
  vmta: 'mta1',
  source: { ip: '127.0.0.9', listener: '127.0.0.1:2525' },
  receivedAt: Date.now(),
});

describe.skipIf(!canStartSentinels())('delivery on a Redis Sentinel set', () => {
  let set: SentinelSet | undefined;
  let receiver: Receiver | undefined;
  let delivery: RunningDelivery | undefined;
  const clients: Array<{ disconnect(): void }> = [];

  afterAll(async () => {
    await delivery?.close();
    for (const c of clients) c.disconnect();
    await receiver?.close();
    await set?.dispose();
  });

  it('follows the promotion by itself: mail queued after the failover is delivered by the same process, each message once', async () => {
    set = await startSentinelSet();
    await set.ready();
    receiver = await startReceiver({ host: '127.0.0.10', startTls: false });
    const config = loadConfigText(
      ['<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 mta1.example.test', '</virtual-mta>', '<domain *>', `  smtp-hosts [127.0.0.10]:${receiver.port}`, '  retry-after 1s', '</domain>'].join('\n'),
    );
    const prefix = 'hafo';
    delivery = await startDelivery({ config, redisUrl: set.url, prefix, concurrency: 4 });
    const enqueueOn = () => {
      const redis = createRedis(set!.url, 'cli');
      redis.on('error', () => undefined);
      clients.push(redis);
      return new MessageStore(redis, { prefix });
    };
    const before = enqueueOn();
    for (let n = 0; n < 20; n++) await before.enqueue(message(n));
    await expect.poll(() => receiver!.messages.length, { timeout: 20_000 }).toBe(20);
    // Their outcomes (recipient states, deleted messages) are on the replica before the kill.
    const probe = createRedis(`redis://${await set.master()}`, 'cli');
    probe.on('error', () => undefined);
    clients.push(probe);
    expect(await probe.call('WAIT', '1', '5000')).toBe(1);
    await before.dispatcher.close();

    await set.killPrimaryAndWaitForFailover();
    const after = enqueueOn();
    for (let n = 20; n < 30; n++) await after.enqueue(message(n));
    await expect.poll(() => new Set(receiver!.messages.map((m) => /Subject: failover (\d+)/.exec(m.body)?.[1])).size, { timeout: 40_000 }).toBe(30);
    await after.dispatcher.close();
    // Exactly once each: the work done before the kill was replicated (WAIT above), so the new
    // primary does not hand any of it out again. (A delivery cut by a failover may repeat, as after
    // any crash: at-least-once.)
    const subjects = receiver.messages.map((m) => /Subject: failover (\d+)/.exec(m.body)?.[1]);
    expect(subjects.length).toBe(30);
  }, 90_000);
});
