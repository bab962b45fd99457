import { Redis } from 'ioredis';
import { loadConfigText } from '@vmta/config';
import { MessageStore } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../testing/test-smtp-receiver.js';
import { startDelivery, type RunningDelivery } from './delivery-service.js';

const config = (port: number, idle: string) =>
  loadConfigText(
    [
      '<virtual-mta mta1>',
      '  smtp-source-host 127.0.0.2 mta1.example.test',
      '</virtual-mta>',
      '<domain *>',
      `  smtp-hosts [127.0.0.10]:${port}`,
      `  connection-idle-timeout ${idle}`,
      '</domain>',
    ].join('\n'),
  );

const message = (to: string) => testMessage(to, { body: Buffer.from('Subject: idle\r\n\r\nhello\r\n'), source: { ip: '127.0.0.9', listener: '127.0.0.1:2525', heloName: 'client.test' } });

describe('connection-idle-timeout', () => {
  let t: TestRedis | undefined;
  let redis: Redis | undefined;
  let receiver: Receiver | undefined;
  let delivery: RunningDelivery | undefined;
  let store: MessageStore | undefined;

  afterEach(async () => {
    await delivery?.close();
    await store?.dispatcher.close();
    await receiver?.close();
    await t?.cleanup();
    redis?.disconnect();
  });

  /** Two messages for one queue, the second queued after the first was delivered; returns the connections the receiver saw. */
  async function twoMessagesApart(idle: string): Promise<Receiver> {
    t = await getTestRedis();
    redis = new Redis(t.url);
    receiver = await startReceiver({ host: '127.0.0.10', startTls: false });
    const prefix = t.prefix.slice(0, -1);
    store = new MessageStore(redis, { prefix });
    delivery = await startDelivery({ config: config(receiver.port, idle), redisUrl: t.url, prefix, concurrency: 2 });
    await store.enqueue(message('a@idle.example'));
    await expect.poll(() => receiver!.messages.length, { timeout: 20_000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 1_000));
    await store.enqueue(message('b@idle.example'));
    await expect.poll(() => receiver!.messages.length, { timeout: 20_000 }).toBe(2);
    return receiver;
  }

  it('keeps the connection open for mail that arrives within the idle timeout', async () => {
    const r = await twoMessagesApart('30s');
    expect(r.connections).toHaveLength(1);
    expect(r.commands.filter((c) => c.startsWith('MAIL FROM'))).toHaveLength(2);
  });

  it('with the default 0 the connection is closed as the queue runs dry', async () => {
    const r = await twoMessagesApart('0');
    expect(r.connections).toHaveLength(2);
  });
});
