import { Redis } from 'ioredis';
import { openQueueTestbed, testMessage, type QueueTestbed } from './testing/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageStore, QueueOps } from './index.js';
import { scripts } from './scripts/index.js';
import { HELD_FIELD } from './scripts/held.js';

const HOUR = 3_600_000;
const refOf = (queue: string) => ({ queue, domain: queue.slice(0, queue.indexOf('/')), vmta: 'mta1' });

describe('the bounce-after index (one sorted set for the cluster, kept by the queue scripts)', () => {
  // A listener that knows bounce-after: 1 h for every queue, 2 h for slow.example.
  const listener = (bed: QueueTestbed) => new MessageStore(bed.redis, { prefix: bed.prefix, bounceAfter: (ref) => (ref.domain === 'slow.example' ? 2 * HOUR : HOUR) });
  let bed: QueueTestbed;
  let store: MessageStore;
  let redis: Redis;
  let ops: QueueOps;
  beforeAll(async () => {
    bed = await openQueueTestbed();
    store = listener(bed);
    redis = bed.redis;
    ops = bed.ops;
  });
  afterAll(async () => {
    await store.dispatcher.close();
    await bed.close();
  });

  /** Claims the message for slot 0 and records its recipients of `queue` delivered. */
  async function deliver(id: string, queue: string): Promise<void> {
    expect(await ops.claimIds(queue, 0, [id])).toEqual([id]);
    const msg = (await store.get(id))!;
    await ops.recordOutcomes({ id, queue, slot: 0, recipients: msg.recipients.filter((r) => r.queue === queue).map((r) => ({ ...r, state: 'delivered' as const, attempts: 1 })) });
  }

  it('indexes each queue of an enqueue at receipt + its bounce-after, never later than its oldest message, with its ref', async () => {
    const now = Date.now();
    await store.enqueue(testMessage(['a@one.example', 'b@slow.example'], { receivedAt: now - 1_000 }));
    expect(await ops.expiry.dueAt('one.example/mta1')).toBe(now - 1_000 + HOUR);
    expect(await ops.expiry.dueAt('slow.example/mta1')).toBe(now - 1_000 + 2 * HOUR);
    expect(await ops.expiry.ref('slow.example/mta1')).toEqual(refOf('slow.example/mta1'));
    // A younger message leaves the score; an older one lowers it.
    await store.enqueue(testMessage('c@one.example', { receivedAt: now }));
    expect(await ops.expiry.dueAt('one.example/mta1')).toBe(now - 1_000 + HOUR);
    await store.enqueue(testMessage('d@one.example', { receivedAt: now - 5_000 }));
    expect(await ops.expiry.dueAt('one.example/mta1')).toBe(now - 5_000 + HOUR);
    // A listener without bounce-after indexes nothing (the queue's slot-0 token does).
    await bed.store.enqueue(testMessage('e@unknown.example'));
    expect(await ops.expiry.dueAt('unknown.example/mta1')).toBeUndefined();
  });

  it('takes a queue out once its last message is final, not before', async () => {
    const q = 'done.example/mta1';
    const a = await store.enqueue(testMessage('a@done.example'));
    const b = await store.enqueue(testMessage('b@done.example'));
    await deliver(a.id, q);
    expect(await ops.expiry.dueAt(q)).toBeDefined();
    await deliver(b.id, q);
    expect(await ops.expiry.dueAt(q)).toBeUndefined();
  });

  it('moves the index with the mail: the target of a move (rollup, unroll) in at its bounce-after, the emptied source out', async () => {
    const from = 'member.example/mta1';
    const to = 'provider.rollup/mta1';
    const received = Date.now() - 10_000;
    const m = await store.enqueue(testMessage('x@member.example', { receivedAt: received }));
    expect(await ops.claimIds(from, 0, [m.id])).toEqual([m.id]);
    const target = { ref: { queue: to, domain: 'provider.rollup', vmta: 'mta1' }, bounceAfterMs: 5_000 };
    expect(await ops.moveToQueue(from, 0, [m.id], to, Date.now(), undefined, undefined, target)).toBe(1);
    expect(await ops.expiry.dueAt(to)).toBe(received + 5_000);
    expect(await ops.expiry.ref(to)).toEqual(target.ref);
    expect(await ops.expiry.dueAt(from)).toBeUndefined();
  });

  it('takes the queue out when a delete inside Redis, or the discard of a held message, empties it', async () => {
    const q = 'deleted.example/mta1';
    const { id } = await store.enqueue(testMessage('a@deleted.example'));
    expect(await ops.expiry.dueAt(q)).toBeDefined();
    expect((await ops.deleteWaiting(q, [id], {}, Date.now())).removed).toBe(1);
    expect(await ops.expiry.dueAt(q)).toBeUndefined();

    const h = 'held.example/mta1';
    const held = await store.enqueue(testMessage('b@held.example'));
    await redis.hset(ops.keys.messageMeta(held.id), HELD_FIELD, '1');
    const minuteKey = ops.keys.minuteCounters(Math.floor(Date.now() / 60_000));
    expect(await scripts(redis).discardHeld(ops.keys, { id: held.id, recipients: 1, queues: new Map([[h, 1]]), minuteKey })).toBe(true);
    expect(await ops.expiry.dueAt(h)).toBeUndefined();
  });

  it('re-scores after a sweep from the current oldest message: due later, a minute on when overdue (held by a token), out when empty', async () => {
    const q = 'rescore.example/mta1';
    const now = Date.now();
    const { id } = await store.enqueue(testMessage('a@rescore.example', { receivedAt: now - 10_000 }));
    expect(await ops.expiry.rescore(q, 60_000, now, 60_000)).toBe(now - 10_000 + 60_000);
    expect(await ops.expiry.rescore(q, 5_000, now, 60_000)).toBe(now + 60_000);
    // A longer bounce-after under the current config: later, not kept at the earlier score.
    expect(await ops.expiry.rescore(q, 2 * HOUR, now, 60_000)).toBe(now - 10_000 + 2 * HOUR);
    expect(await ops.expiry.due(now + HOUR, 1000)).not.toContain(q);
    await deliver(id, q);
    await redis.zadd(ops.keys.expiryIndex(), now, q); // a stale entry (say, from a version that did not keep the index)
    expect(await ops.expiry.rescore(q, HOUR, now, 60_000)).toBeUndefined();
    expect(await ops.expiry.dueAt(q)).toBeUndefined();
  });

  it('reindexes every queue under a shorter bounce-after, and leaves a longer one to the sweep', async () => {
    const q = 'reindex.example/mta1';
    const received = Date.now() - 1_000;
    await store.enqueue(testMessage('a@reindex.example', { receivedAt: received }));
    expect(await ops.expiry.dueAt(q)).toBe(received + HOUR);
    await ops.expiry.reindex((ref) => (ref.queue === q ? 5_000 : 3 * HOUR));
    expect(await ops.expiry.dueAt(q)).toBe(received + 5_000);
    expect(await ops.expiry.dueAt('one.example/mta1')).toBeLessThan(Date.now() + HOUR);
  });

  it('lets one sweeper hold the lock, renewed only by its owner', async () => {
    expect(await ops.expiry.lock('a', 10_000)).toBe(true);
    expect(await ops.expiry.lock('b', 10_000)).toBe(false);
    expect(await ops.expiry.renew('b', 10_000)).toBe(false);
    expect(await ops.expiry.renew('a', 10_000)).toBe(true);
    expect(await ops.expiry.renew('a', 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(await ops.expiry.lock('b', 10_000)).toBe(true);
    expect(await ops.expiry.renew('a', 10_000)).toBe(false);
  });

  it('takes a retired queue out of the index too', async () => {
    const q = 'retired.example/mta1';
    const { id } = await store.enqueue(testMessage('a@retired.example'));
    await deliver(id, q);
    await redis.zadd(ops.keys.expiryIndex(), Date.now(), q); // a stale entry
    expect(await ops.retireIfIdle(q, 1_000, 0)).toBe(false); // first seen empty
    expect(await ops.retireIfIdle(q, 1_000, 0)).toBe(true);
    expect(await ops.expiry.dueAt(q)).toBeUndefined();
  });
});
