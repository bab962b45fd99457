import { Redis } from 'ioredis';
import { MessageStore, type NewMessage } from '@vmta/queue';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../cluster.js';
import { clusterStatus, queueRows } from './cluster-view.js';

function message(address: string): NewMessage {
  return {
    mailFrom: 'sender@example.org',
    recipients: [{ address, domain: address.split('@')[1]! }],
    body: Buffer.from('Subject: t\r\n\r\nhello\r\n'),
    vmta: 'mta1',
    source: { ip: '127.0.0.9', listener: '127.0.0.1:2525' },
    receivedAt: Date.now(),
  };
}

describe('show queues after a queue retired', () => {
  let t: TestRedis;
  let redis: Redis;
  let store: MessageStore;
  let cluster: Cluster;
  beforeAll(async () => {
    t = await getTestRedis();
    redis = new Redis(t.url);
    store = new MessageStore(redis, { prefix: t.prefix.slice(0, -1) });
    cluster = new Cluster(redis, t.prefix.slice(0, -1));
  });
  afterAll(async () => {
    await store.dispatcher.close();
    await cluster.close();
    await t.cleanup();
    redis.disconnect();
  });

  it('no longer lists a retired queue, and the cluster totals still count its mail', async () => {
    const { ops } = cluster;
    const q = 'retired.example/mta1';
    const { id } = await store.enqueue(message('a@retired.example'));
    await store.enqueue(message('a@kept.example'));
    await ops.claimDue(q, 0, Date.now(), 1);
    const msg = (await store.get(id))!;
    await ops.recordOutcomes({ id, queue: q, slot: 0, recipients: [{ ...msg.recipients[0]!, state: 'delivered', attempts: 1 }] });
    expect((await queueRows(cluster)).map((r) => r.queue)).toEqual(['kept.example/mta1', q]);
    expect(await ops.retireIfIdle(q, 1_000, 0)).toBe(false);
    expect(await ops.retireIfIdle('kept.example/mta1', 1_000, 0)).toBe(false);
    expect(await ops.retireIfIdle(q, 1_000, 0)).toBe(true);
    expect(await ops.retireIfIdle('kept.example/mta1', 1_000, 0)).toBe(false); // it holds mail
    expect((await queueRows(cluster)).map((r) => r.queue)).toEqual(['kept.example/mta1']);
    const status = await clusterStatus(cluster);
    expect(status.queues).toBe(1);
    expect(status.totals).toMatchObject({ received: 2, delivered: 1 });
  });
});
