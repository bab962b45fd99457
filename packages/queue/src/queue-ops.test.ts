import { Redis } from 'ioredis';
import { openQueueTestbed, testMessage, testOutcomes, type QueueTestbed } from './testing/index.js';
import { epochMinute } from './minute-counters.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLAIM_PAUSED, deliveryRecord, heldSlotEntry, latencyHistograms, MessageStore, QueueOps, SlotLostError, tokenId, type NewMessage, type OutcomeBatch, type RecipientRecord, type StoredMessage } from './index.js';

const message = testMessage;

const outcomes = testOutcomes;

describe('queue operations for delivery', () => {
  let bed: QueueTestbed;
  let redis: Redis;
  let store: MessageStore;
  let ops: QueueOps;
  beforeAll(async () => {
    bed = await openQueueTestbed();
    ({ redis, store, ops } = bed);
  });
  afterAll(() => bed.close());

  it('adds one dispatch token per queue at enqueue, and skips the wake while the token is awake', async () => {
    const { queues, woken } = await store.enqueue(message(['a@tok.example', 'b@tok.example', 'c@tok2.example']));
    expect(woken).toBe(true);
    expect(queues).toEqual(['tok.example/mta1', 'tok2.example/mta1']);
    const job = await store.dispatcher.lane('mta1').getJob(tokenId('tok.example/mta1', 0));
    expect(job?.data).toEqual({ queue: 'tok.example/mta1', domain: 'tok.example', vmta: 'mta1', slot: 0 });
    expect(await store.dispatcher.lane('mta1').getWaitingCount()).toBe(2);
    expect(await redis.smembers(store.keys.wakeSet())).toEqual([]);
    const q = 'tok.example/mta1';
    expect(await redis.exists(store.keys.queueAwake(q))).toBe(1);
    const wake = vi.spyOn(store.dispatcher, 'wake');
    try {
      // The token is awake: it will find the new mail by itself.
      expect((await store.enqueue(message(['d@tok.example']))).woken).toBe(true);
      expect(wake).not.toHaveBeenCalled();
      // The token drains the queue; its empty claim puts it to sleep in the same step...
      expect(await ops.claimDue(q, 0, Date.now(), 10)).toHaveLength(2);
      expect(await redis.exists(store.keys.queueAwake(q))).toBe(1);
      expect(await ops.claimDue(q, 0, Date.now(), 10)).toEqual([]);
      expect(await redis.exists(store.keys.queueAwake(q))).toBe(0);
      // ...so the next enqueue wakes it.
      await store.enqueue(message(['e@tok.example']));
      expect(wake).toHaveBeenCalledTimes(1);
    } finally {
      wake.mockRestore();
    }
  });

  it('claims nothing from a paused queue and says so', async () => {
    const q = 'pausedclaim.example/mta1';
    const { id } = await store.enqueue(message(['x@pausedclaim.example']));
    await ops.pause(q);
    expect(await ops.claimShare(q, 0, Date.now(), 10, 1)).toEqual({ ids: [], remaining: CLAIM_PAUSED });
    await ops.resume(q);
    expect(await ops.claimShare(q, 0, Date.now(), 10, 1)).toEqual({ ids: [id], remaining: 0 });
    // Nothing left in the queue: an empty claim has no next message to tell.
    expect(await ops.claimShare(q, 0, Date.now(), 10, 1)).toEqual({ ids: [], remaining: 0 });
  });

  it('claims only due messages for a slot and gives them back when the slot is recovered', async () => {
    const q = 'claim.example/mta1';
    const a = await store.enqueue(message(['x@claim.example']));
    const b = await store.enqueue(message(['y@claim.example']));
    await redis.zadd(store.keys.queueReady(q), String(Date.now() + 3_600_000), b.id);
    const claimed = await ops.claimDue(q, 0, Date.now(), 10);
    expect(claimed).toEqual([a.id]);
    expect(await ops.claimDue(q, 1, Date.now(), 10)).toEqual([]);
    expect(await ops.nextDue(q)).toBeGreaterThan(Date.now());
    // An empty claim says when the next message is due, as nextDue does.
    const empty = await ops.claimShare(q, 1, Date.now(), 10, 1);
    expect(empty).toEqual({ ids: [], remaining: 0, nextDue: await ops.nextDue(q) });
    expect(await ops.requeueInflight(q, 0, Date.now())).toBe(1);
    expect(await ops.claimDue(q, 1, Date.now(), 10)).toEqual([a.id]);
  });

  it("starts a token in one round trip: gives back its slot's mail, reads the state and indexes the queue for bounce-after", async () => {
    const q = 'start.example/mta1';
    const ref = { queue: q, domain: 'start.example', vmta: 'mta1' };
    expect(await ops.startToken(q, 0, Date.now(), undefined, { ref, bounceAfterMs: 3_600_000 })).toEqual({ state: expect.objectContaining({ mode: 'normal', failures: 0 }) });
    const first = { ...message(['x@start.example']), receivedAt: Date.now() - 60_000 };
    const a = await store.enqueue(first);
    await store.enqueue(message(['y@start.example']));
    expect(await ops.claimDue(q, 2, Date.now(), 10)).toHaveLength(2);
    await ops.enterRetry(q, Date.now() + 60_000);
    const started = await ops.startToken(q, 2, Date.now(), undefined, { ref, bounceAfterMs: 3_600_000 });
    expect(await ops.expiry.dueAt(q)).toBe(first.receivedAt + 3_600_000);
    expect(await ops.expiry.ref(q)).toEqual(ref);
    expect(started.state).toMatchObject({ mode: 'retry', failures: 1 });
    // the slot's two messages are back, due now: another slot can claim them
    expect((await ops.claimDue(q, 3, Date.now(), 10)).sort()).toContain(a.id);
    expect(await ops.requeueInflight(q, 2, Date.now())).toBe(0);
  });

  it('keeps a message until every recipient is final, then removes all of it', async () => {
    const { id } = await store.enqueue(message(['p@fin.example', 'q@fin.example', 'r@fin2.example']));
    const q = 'fin.example/mta1';
    await ops.claimDue(q, 0, Date.now(), 10);
    const msg = (await store.get(id))!;
    const mine = msg.recipients.filter((r) => r.queue === q);
    const left = await ops.recordOutcomes({
      id,
      queue: q,
      slot: 0,
      recipients: [
        { ...mine[0]!, state: 'delivered', attempts: 1 },
        { ...mine[1]!, state: 'queued', attempts: 1 },
      ],
      notBefore: Date.now() + 600_000,
      accounting: [deliveryRecord(msg, mine[0]!, { outcome: 'delivered', dsnStatus: '2.0.0', dsnDiag: '250 ok', queue: q }, new Date().toISOString())],
    });
    expect(left).toBe(2);
    expect((await store.get(id))?.recipients.map((r) => r.state)).toEqual(['delivered', 'queued', 'queued']);
    expect(await store.queued(q)).toEqual([id]);
    expect((await ops.state(q)).delivered).toBe(1);
    await ops.claimDue(q, 0, Date.now() + 600_000, 10);
    await ops.recordOutcomes({ id, queue: q, slot: 0, recipients: [{ ...mine[1]!, state: 'bounced', attempts: 2 }] });
    await ops.claimDue('fin2.example/mta1', 0, Date.now(), 10);
    const last = await ops.recordOutcomes({ id, queue: 'fin2.example/mta1', slot: 0, recipients: [{ ...msg.recipients[2]!, state: 'delivered', attempts: 1 }] });
    expect(last).toBe(0);
    expect(await store.get(id)).toBeUndefined();
    expect(await redis.exists(store.keys.messageBody(id), store.keys.messageMeta(id), store.keys.messageRecipients(id))).toBe(0);
    expect(await redis.scard(store.keys.queueInflight(q, 0))).toBe(0);
  });

  it('records an attempt in which every recipient was deferred (no recipient final)', async () => {
    const { id } = await store.enqueue(message(['d@alldeferred.example']));
    const q = 'alldeferred.example/mta1';
    await ops.claimDue(q, 0, Date.now(), 10);
    const msg = (await store.get(id))!;
    const left = await ops.recordOutcomes({ id, queue: q, slot: 0, recipients: [{ ...msg.recipients[0]!, state: 'queued', attempts: 1 }], notBefore: Date.now() + 600_000 });
    expect(left).toBe(1);
    expect((await store.get(id))?.recipients[0]?.attempts).toBe(1);
  });

  it('wakes a token that sleeps until a recipient is due, but not one in retry mode', async () => {
    const q = 'sleep.example/mta1';
    await store.enqueue(message(['s@sleep.example']));
    const job = (await store.dispatcher.lane('mta1').getJob(tokenId(q, 0)))!;
    await job.changeDelay(3_600_000).catch(async () => {
      await job.remove();
      await store.dispatcher.lane('mta1').add(q, { queue: q, domain: 'sleep.example', vmta: 'mta1', slot: 0 }, { jobId: tokenId(q, 0), delay: 3_600_000 });
    });
    expect(await (await store.dispatcher.lane('mta1').getJob(tokenId(q, 0)))!.getState()).toBe('delayed');
    await store.dispatcher.wake({ queue: q, domain: 'sleep.example', vmta: 'mta1' });
    expect(await (await store.dispatcher.lane('mta1').getJob(tokenId(q, 0)))!.getState()).toBe('waiting');

    const r = 'retry.example/mta1';
    await store.enqueue(message(['s@retry.example']));
    await ops.enterRetry(r, Date.now() + 3_600_000);
    await (await store.dispatcher.lane('mta1').getJob(tokenId(r, 0)))!.remove();
    await store.dispatcher.lane('mta1').add(r, { queue: r, domain: 'retry.example', vmta: 'mta1', slot: 0 }, { jobId: tokenId(r, 0), delay: 3_600_000 });
    await store.enqueue(message(['t@retry.example']));
    expect(await (await store.dispatcher.lane('mta1').getJob(tokenId(r, 0)))!.getState()).toBe('delayed');
    expect((await ops.state(r)).mode).toBe('retry');
    await ops.leaveRetry(r);
    expect(await ops.state(r)).toMatchObject({ mode: 'normal', failures: 0, retryAt: undefined });
  });

  it('counts outcomes in the minute hash, which gets its TTL when a field of it is new', async () => {
    const q = 'minute-ttl.example/mta1';
    // A minute no enqueue wrote to: the outcomes create its hash.
    const at = Date.now() + 7 * 86_400_000;
    const minute = store.keys.minuteCounters(epochMinute(at));
    for (const states of [['delivered'], ['delivered'], ['bounced']] as const) {
      const { id } = await store.enqueue(message(['x@minute-ttl.example']));
      expect(await ops.claimDue(q, 0, Date.now(), 10)).toEqual([id]);
      await ops.recordOutcomes(outcomes((await store.get(id))!, q, [...states]), at);
    }
    expect(await redis.hgetall(minute)).toEqual({ delivered: '2', bounced: '1' });
    expect(await redis.ttl(minute)).toBeGreaterThan(0);
  });


  it('pauses and resumes a queue, back into retry mode while its retry time is ahead', async () => {
    const q = 'pause.example/mta1';
    await ops.pause(q);
    expect((await ops.state(q)).mode).toBe('paused');
    await ops.resume(q);
    expect((await ops.state(q)).mode).toBe('normal');
    await ops.enterRetry(q, Date.now() + 60_000);
    await ops.pause(q);
    await ops.resume(q);
    expect((await ops.state(q)).mode).toBe('retry');
  });

  it('counts recipients queued, messages in flight and deferred, and the age of the oldest', async () => {
    const q = 'stats.example/mta1';
    const now = Date.now();
    await store.enqueue({ ...message(['a@stats.example', 'b@stats.example']), receivedAt: now - 90_000 });
    const { id } = await store.enqueue({ ...message(['c@stats.example']), receivedAt: now - 1000 });
    expect(await ops.stats(q, now)).toMatchObject({ queue: q, mode: 'normal', paused: false, queued: 3, inflight: 0, deferred: 0, oldestAgeSeconds: 90 });
    const claimed = await ops.claimDue(q, 0, now, 1);
    expect((await ops.stats(q, now)).inflight).toBe(1);
    const msg = (await store.get(claimed[0]!))!;
    await ops.recordOutcomes({ id: msg.id, queue: q, slot: 0, recipients: [{ ...msg.recipients[0]!, state: 'delivered', attempts: 1 }, { ...msg.recipients[1]!, state: 'queued', attempts: 1 }], notBefore: now + 600_000 });
    expect(await ops.stats(q, now)).toMatchObject({ queued: 2, inflight: 0, deferred: 1, delivered: 1 });
    await ops.claimDue(q, 3, now, 10);
    expect(await ops.requeueInflight(q, 3, now)).toBe(1);
    expect((await ops.stats(q, now)).inflight).toBe(0);
    expect(id).toBeTruthy();
  });

  const totals = async () => {
    const h = await redis.hgetall(store.keys.totals());
    return { delivered: Number(h.delivered ?? 0), bounced: Number(h.bounced ?? 0), deferred: Number(h.deferred ?? 0) };
  };
  const recordsOf = async (id: string) =>
    (await redis.xrange(store.keys.accounting(), '-', '+'))
      .map(([, f]) => ({ type: f[f.indexOf('type') + 1], msgId: f[f.indexOf('msgId') + 1], rcpt: f[f.indexOf('rcpt') + 1] }))
      .filter((r) => r.msgId === id && r.type !== 'r');

  it('records a repeated finish (its lock was lost while SMTP went on) once: the finals of one domain count once, and the other domain stays queued and deliverable', async () => {
    const { id } = await store.enqueue(message(['a1@dup-a.example', 'a2@dup-a.example', 'b1@dup-b.example']));
    const [qa, qb] = ['dup-a.example/mta1', 'dup-b.example/mta1'];
    const before = await totals();
    const latencyCount = async () => (await latencyHistograms(redis, store.keys)).get('mta1')?.count ?? 0;
    const latencyBefore = await latencyCount();
    expect(await ops.claimDue(qa, 0, Date.now(), 10)).toEqual([id]);
    const batch = outcomes((await store.get(id))!, qa, ['delivered', 'bounced']);
    expect(await ops.recordOutcomes(batch)).toBe(1);
    // The same finish again: its slot's lock was lost while SMTP went on, and it finishes late.
    expect(await ops.recordOutcomes(batch)).toBe(1);
    expect(await redis.hget(store.keys.messageMeta(id), 'pending')).toBe('1');
    expect((await store.get(id))?.recipients.map((r) => r.state)).toEqual(['delivered', 'bounced', 'queued']);
    expect(await totals()).toEqual({ ...before, delivered: before.delivered + 1, bounced: before.bounced + 1 });
    expect(await ops.state(qa)).toMatchObject({ delivered: 1, bounced: 1 });
    expect(await redis.hget(store.keys.queueState(qa), 'queued')).toBe('0');
    expect(await latencyCount()).toBe(latencyBefore + 1);
    expect((await recordsOf(id)).map((r) => `${r.type} ${r.rcpt}`)).toEqual(['d a1@dup-a.example', 'b a2@dup-a.example']);
    // Domain B's recipient is still queued, and its token can deliver it.
    expect(await ops.claimDue(qb, 0, Date.now(), 10)).toEqual([id]);
    expect(await ops.recordOutcomes(outcomes((await store.get(id))!, qb, ['delivered']))).toBe(0);
    expect(await store.get(id)).toBeUndefined();
    expect(await totals()).toEqual({ ...before, delivered: before.delivered + 2, bounced: before.bounced + 1 });
  });

  it('records a repeated deferral once and does not put the message back in the queue for the repeat', async () => {
    const { id } = await store.enqueue(message(['x@dup-c.example']));
    const q = 'dup-c.example/mta1';
    const before = await totals();
    expect(await ops.claimDue(q, 0, Date.now(), 10)).toEqual([id]);
    const later = Date.now() + 600_000;
    const batch = outcomes((await store.get(id))!, q, ['queued'], later);
    expect(await ops.recordOutcomes(batch)).toBe(1);
    // Another token claims the message when it is due again; the late repeat must not make it claimable twice.
    expect(await ops.claimDue(q, 1, later, 10)).toEqual([id]);
    expect(await ops.recordOutcomes(batch)).toBe(1);
    expect(await store.queued(q)).toEqual([]);
    expect(await totals()).toEqual({ ...before, deferred: before.deferred + 1 });
    expect((await recordsOf(id)).map((r) => r.type)).toEqual(['t']);
    expect((await store.get(id))?.recipients[0]).toMatchObject({ state: 'queued', attempts: 1 });
  });

  it('moves only this queue’s queued recipients, with counts, age and index, and is fenced by the slot holder', async () => {
    const from = 'a.move.example/mta1';
    const to = 'provider.rollup/mta1';
    const ref = { queue: from, domain: 'a.move.example', vmta: 'mta1' };
    const m = await store.enqueue({ ...testMessage(['x@a.move.example', 'y@a.move.example', 'z@other.move.example']), receivedAt: 1_000 });
    const run = { processId: 'host:1:live', run: 'run-1', entry: heldSlotEntry({ ...ref, slot: 0, run: 'run-1' }) };
    await ops.startToken(from, 0, Date.now(), run);
    expect((await ops.claimShare(from, 0, Date.now(), 10, 1, run.run)).ids).toEqual([m.id]);
    // A run that lost the slot moves nothing.
    await expect(ops.moveToQueue(from, 0, [m.id], to, 5_000, 'run-old')).rejects.toBeInstanceOf(SlotLostError);
    expect(await store.queued(to)).toEqual([]);

    // A fan-out message may list each queue's recipients in its meta (q:<queue>, for reads of one queue): a move drops them.
    await redis.hset(ops.keys.messageMeta(m.id), `q:${from}`, '0,1', 'q:other.move.example/mta1', '2');
    expect(await ops.moveToQueue(from, 0, [m.id], to, 5_000, run.run)).toBe(1);
    expect(Object.keys(await redis.hgetall(ops.keys.messageMeta(m.id))).filter((f) => f.startsWith('q:'))).toEqual([]);
    const moved = await store.get(m.id);
    expect(moved!.recipients.map((r) => [r.address, r.domain, r.queue, r.state])).toEqual([
      ['x@a.move.example', 'a.move.example', to, 'queued'],
      ['y@a.move.example', 'a.move.example', to, 'queued'],
      ['z@other.move.example', 'other.move.example', 'other.move.example/mta1', 'queued'],
    ]);
    expect(await redis.zrange(ops.keys.queueReady(to), '0', '-1', 'WITHSCORES')).toEqual([m.id, '5000']);
    expect(await redis.zscore(ops.keys.queueAge(to), m.id)).toBe('1000');
    expect(await redis.zscore(ops.keys.queueAge(from), m.id)).toBeNull();
    expect(await redis.smembers(ops.keys.queueInflight(from, 0))).toEqual([]);
    expect(await redis.sismember(ops.keys.queueIndex(), to)).toBe(1);
    const [src, dst] = [await ops.stats(from), await ops.stats(to)];
    expect([src.queued, src.inflight, dst.queued, dst.inflight]).toEqual([0, 0, 2, 0]);
    // Done twice (a repeat after a lost reply): the id is no longer in the slot, nothing changes.
    expect(await ops.moveToQueue(from, 0, [m.id], to, 6_000, run.run)).toBe(0);
    expect((await ops.stats(to)).queued).toBe(2);
    // The other domain's part is untouched.
    expect(await store.queued('other.move.example/mta1')).toEqual([m.id]);
  });

  it('keeps the age entry of a message in a rolled-up queue while recipients of its other domain moved in after the claim', async () => {
    const to = 'two.rollup/mta1';
    const m = await store.enqueue(testMessage(['x@one.roll.example', 'y@two.roll.example'], { receivedAt: 1000 }));
    const [qa, qb] = ['one.roll.example/mta1', 'two.roll.example/mta1'];
    // The first domain's part moves to the rollup queue, whose token claims it (reading x only)...
    expect(await ops.claimIds(qa, 0, [m.id])).toEqual([m.id]);
    expect(await ops.moveToQueue(qa, 0, [m.id], to, 2_000)).toBe(1);
    expect(await ops.claimIds(to, 0, [m.id])).toEqual([m.id]);
    // ...then the second domain's part moves in too, while that token holds the message.
    expect(await ops.claimIds(qb, 0, [m.id])).toEqual([m.id]);
    expect(await ops.moveToQueue(qb, 0, [m.id], to, 3_000)).toBe(1);
    const x = (await store.get(m.id))!.recipients[0]!;
    expect(await ops.recordOutcomes({ id: m.id, queue: to, slot: 0, recipients: [{ ...x, state: 'delivered', attempts: 1 }] })).toBe(1);
    // y waits in the rollup queue: its entry in the age index stays, so bounce-after still sees it.
    expect(await redis.zscore(ops.keys.queueAge(to), m.id)).toBe('1000');
    expect(await redis.zscore(ops.keys.queueReady(to), m.id)).toBe('3000');
    const y = (await store.get(m.id))!.recipients[1]!;
    expect(y).toMatchObject({ queue: to, state: 'queued' });
    expect(await ops.claimIds(to, 1, [m.id])).toEqual([m.id]);
    expect(await ops.recordOutcomes({ id: m.id, queue: to, slot: 1, recipients: [{ ...y, state: 'delivered', attempts: 1 }] })).toBe(0);
    expect(await redis.zscore(ops.keys.queueAge(to), m.id)).toBeNull();
  });
});
