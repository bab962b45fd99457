import { Redis } from 'ioredis';
import type { MessageStore } from '@vmta/queue';
import { openQueueTestbed, testMessage, type QueueTestbed } from '@vmta/queue/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../cluster.js';
import { clusterStatus, queueRows } from './cluster-view.js';

const message = testMessage;

describe('show queues after a queue retired', () => {
  let bed: QueueTestbed;
  let redis: Redis;
  let store: MessageStore;
  let cluster: Cluster;
  beforeAll(async () => {
    bed = await openQueueTestbed();
    ({ redis, store } = bed);
    cluster = new Cluster(redis, bed.prefix);
  });
  afterAll(async () => {
    await cluster.close();
    await bed.close();
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
