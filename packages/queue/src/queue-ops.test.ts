import { sharedQueueTestbed, testMessage, testOutcomes } from './testing/index.js';
import { epochMinute } from './minute-counters.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLAIM_PAUSED, deliveryRecord, heldSlotEntry, latencyHistograms, SlotLostError, tokenId, type NewMessage, type OutcomeBatch, type RecipientRecord, type StoredMessage } from './index.js';

const message = testMessage;

const outcomes = testOutcomes;

describe('queue operations for delivery', () => {
  const bed = sharedQueueTestbed(beforeAll, afterAll);

  it('adds one dispatch token per queue at enqueue, and skips the wake while the token is awake', async () => {
    const { queues, woken } = await bed.store.enqueue(message(['a@tok.example', 'b@tok.example', 'c@tok2.example']));
    expect(woken).toBe(true);
    expect(queues).toEqual(['tok.example/mta1', 'tok2.example/mta1']);
    const job = await bed.store.dispatcher.lane('mta1').getJob(tokenId('tok.example/mta1', 0));
    expect(job?.data).toEqual({ queue: 'tok.example/mta1', domain: 'tok.example', vmta: 'mta1', slot: 0 });
    expect(await bed.store.dispatcher.lane('mta1').getWaitingCount()).toBe(2);
    expect(await bed.redis.smembers(bed.store.keys.wakeSet())).toEqual([]);
    const q = 'tok.example/mta1';
    expect(await bed.redis.exists(bed.store.keys.queueAwake(q))).toBe(1);
    const wake = vi.spyOn(bed.store.dispatcher, 'wake');
    try {
      // The token is awake: it will find the new mail by itself.
      expect((await bed.store.enqueue(message(['d@tok.example']))).woken).toBe(true);
      expect(wake).not.toHaveBeenCalled();
      // The token drains the queue; its empty claim puts it to sleep in the same step...
      expect(await bed.ops.claimDue(q, 0, Date.now(), 10)).toHaveLength(2);
      expect(await bed.redis.exists(bed.store.keys.queueAwake(q))).toBe(1);
      expect(await bed.ops.claimDue(q, 0, Date.now(), 10)).toEqual([]);
      expect(await bed.redis.exists(bed.store.keys.queueAwake(q))).toBe(0);
      // ...so the next enqueue wakes it.
      await bed.store.enqueue(message(['e@tok.example']));
      expect(wake).toHaveBeenCalledTimes(1);
    } finally {
      wake.mockRestore();
    }
  });

  it('claims nothing from a paused queue and says so', async () => {
    const q = 'pausedclaim.example/mta1';
    const { id } = await bed.store.enqueue(message(['x@pausedclaim.example']));
    await bed.ops.pause(q);
    expect(await bed.ops.claimShare(q, 0, Date.now(), 10, 1)).toEqual({ ids: [], remaining: CLAIM_PAUSED });
    await bed.ops.resume(q);
    expect(await bed.ops.claimShare(q, 0, Date.now(), 10, 1)).toEqual({ ids: [id], remaining: 0 });
    // Nothing left in the queue: an empty claim has no next message to tell.
    expect(await bed.ops.claimShare(q, 0, Date.now(), 10, 1)).toEqual({ ids: [], remaining: 0 });
  });

  it('claims only due messages for a slot and gives them back when the slot is recovered', async () => {
    const q = 'claim.example/mta1';
    const a = await bed.store.enqueue(message(['x@claim.example']));
    const b = await bed.store.enqueue(message(['y@claim.example']));
    await bed.redis.zadd(bed.store.keys.queueReady(q), String(Date.now() + 3_600_000), b.id);
    const claimed = await bed.ops.claimDue(q, 0, Date.now(), 10);
    expect(claimed).toEqual([a.id]);
    expect(await bed.ops.claimDue(q, 1, Date.now(), 10)).toEqual([]);
    expect(await bed.ops.nextDue(q)).toBeGreaterThan(Date.now());
    // An empty claim says when the next message is due, as nextDue does.
    const empty = await bed.ops.claimShare(q, 1, Date.now(), 10, 1);
    expect(empty).toEqual({ ids: [], remaining: 0, nextDue: await bed.ops.nextDue(q) });
    expect(await bed.ops.requeueInflight(q, 0, Date.now())).toBe(1);
    expect(await bed.ops.claimDue(q, 1, Date.now(), 10)).toEqual([a.id]);
  });

  it("starts a token in one round trip: gives back its slot's mail, reads the state and indexes the queue for bounce-after", async () => {
    const q = 'start.example/mta1';
    const ref = { queue: q, domain: 'start.example', vmta: 'mta1' };
    expect(await bed.ops.startToken(q, 0, Date.now(), undefined, { ref, bounceAfterMs: 3_600_000 })).toEqual({ state: expect.objectContaining({ mode: 'normal', failures: 0 }) });
    const first = { ...message(['x@start.example']), receivedAt: Date.now() - 60_000 };
    const a = await bed.store.enqueue(first);
    await bed.store.enqueue(message(['y@start.example']));
    expect(await bed.ops.claimDue(q, 2, Date.now(), 10)).toHaveLength(2);
    await bed.ops.enterRetry(q, Date.now() + 60_000);
    const started = await bed.ops.startToken(q, 2, Date.now(), undefined, { ref, bounceAfterMs: 3_600_000 });
    expect(await bed.ops.expiry.dueAt(q)).toBe(first.receivedAt + 3_600_000);
    expect(await bed.ops.expiry.ref(q)).toEqual(ref);
    expect(started.state).toMatchObject({ mode: 'retry', failures: 1 });
    // the slot's two messages are back, due now: another slot can claim them
    expect((await bed.ops.claimDue(q, 3, Date.now(), 10)).sort()).toContain(a.id);
    expect(await bed.ops.requeueInflight(q, 2, Date.now())).toBe(0);
  });

  it('keeps a message until every recipient is final, then removes all of it', async () => {
    const { id } = await bed.store.enqueue(message(['p@fin.example', 'q@fin.example', 'r@fin2.example']));
    const q = 'fin.example/mta1';
    await bed.ops.claimDue(q, 0, Date.now(), 10);
    const msg = (await bed.store.get(id))!;
    const mine = msg.recipients.filter((r) => r.queue === q);
    const left = await bed.ops.recordOutcomes({
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
    expect((await bed.store.get(id))?.recipients.map((r) => r.state)).toEqual(['delivered', 'queued', 'queued']);
    expect(await bed.store.queued(q)).toEqual([id]);
    expect((await bed.ops.state(q)).delivered).toBe(1);
    await bed.ops.claimDue(q, 0, Date.now() + 600_000, 10);
    await bed.ops.recordOutcomes({ id, queue: q, slot: 0, recipients: [{ ...mine[1]!, state: 'bounced', attempts: 2 }] });
    await bed.ops.claimDue('fin2.example/mta1', 0, Date.now(), 10);
    const last = await bed.ops.recordOutcomes({ id, queue: 'fin2.example/mta1', slot: 0, recipients: [{ ...msg.recipients[2]!, state: 'delivered', attempts: 1 }] });
    expect(last).toBe(0);
    expect(await bed.store.get(id)).toBeUndefined();
    expect(await bed.redis.exists(bed.store.keys.messageBody(id), bed.store.keys.messageMeta(id), bed.store.keys.messageRecipients(id))).toBe(0);
    expect(await bed.redis.scard(bed.store.keys.queueInflight(q, 0))).toBe(0);
  });

  it('records an attempt in which every recipient was deferred (no recipient final)', async () => {
    const { id } = await bed.store.enqueue(message(['d@alldeferred.example']));
    const q = 'alldeferred.example/mta1';
    await bed.ops.claimDue(q, 0, Date.now(), 10);
    const msg = (await bed.store.get(id))!;
    const left = await bed.ops.recordOutcomes({ id, queue: q, slot: 0, recipients: [{ ...msg.recipients[0]!, state: 'queued', attempts: 1 }], notBefore: Date.now() + 600_000 });
    expect(left).toBe(1);
    expect((await bed.store.get(id))?.recipients[0]?.attempts).toBe(1);
  });

  it('wakes a token that sleeps until a recipient is due, but not one in retry mode', async () => {
    const q = 'sleep.example/mta1';
    await bed.store.enqueue(message(['s@sleep.example']));
    const job = (await bed.store.dispatcher.lane('mta1').getJob(tokenId(q, 0)))!;
    await job.changeDelay(3_600_000).catch(async () => {
      await job.remove();
      await bed.store.dispatcher.lane('mta1').add(q, { queue: q, domain: 'sleep.example', vmta: 'mta1', slot: 0 }, { jobId: tokenId(q, 0), delay: 3_600_000 });
    });
    expect(await (await bed.store.dispatcher.lane('mta1').getJob(tokenId(q, 0)))!.getState()).toBe('delayed');
    await bed.store.dispatcher.wake({ queue: q, domain: 'sleep.example', vmta: 'mta1' });
    expect(await (await bed.store.dispatcher.lane('mta1').getJob(tokenId(q, 0)))!.getState()).toBe('waiting');

    const r = 'retry.example/mta1';
    await bed.store.enqueue(message(['s@retry.example']));
    await bed.ops.enterRetry(r, Date.now() + 3_600_000);
    await (await bed.store.dispatcher.lane('mta1').getJob(tokenId(r, 0)))!.remove();
    await bed.store.dispatcher.lane('mta1').add(r, { queue: r, domain: 'retry.example', vmta: 'mta1', slot: 0 }, { jobId: tokenId(r, 0), delay: 3_600_000 });
    await bed.store.enqueue(message(['t@retry.example']));
    expect(await (await bed.store.dispatcher.lane('mta1').getJob(tokenId(r, 0)))!.getState()).toBe('delayed');
    expect((await bed.ops.state(r)).mode).toBe('retry');
    await bed.ops.leaveRetry(r);
    expect(await bed.ops.state(r)).toMatchObject({ mode: 'normal', failures: 0, retryAt: undefined });
  });

  it('counts outcomes in the minute hash, which gets its TTL when a field of it is new', async () => {
    const q = 'minute-ttl.example/mta1';
    // A minute no enqueue wrote to: the outcomes create its hash.
    const at = Date.now() + 7 * 86_400_000;
    const minute = bed.store.keys.minuteCounters(epochMinute(at));
    for (const states of [['delivered'], ['delivered'], ['bounced']] as const) {
      const { id } = await bed.store.enqueue(message(['x@minute-ttl.example']));
      expect(await bed.ops.claimDue(q, 0, Date.now(), 10)).toEqual([id]);
      await bed.ops.recordOutcomes(outcomes((await bed.store.get(id))!, q, [...states]), at);
    }
    expect(await bed.redis.hgetall(minute)).toEqual({ delivered: '2', bounced: '1' });
    expect(await bed.redis.ttl(minute)).toBeGreaterThan(0);
  });


  it('pauses and resumes a queue, back into retry mode while its retry time is ahead', async () => {
    const q = 'pause.example/mta1';
    await bed.ops.pause(q);
    expect((await bed.ops.state(q)).mode).toBe('paused');
    await bed.ops.resume(q);
    expect((await bed.ops.state(q)).mode).toBe('normal');
    await bed.ops.enterRetry(q, Date.now() + 60_000);
    await bed.ops.pause(q);
    await bed.ops.resume(q);
    expect((await bed.ops.state(q)).mode).toBe('retry');
  });

  it('shows a queue in retry mode as normal once it holds no mail (emptied by a delete), and keeps its retry time', async () => {
    const q = 'emptied.example/mta1';
    const { id } = await bed.store.enqueue(message(['a@emptied.example']));
    const retryAt = Date.now() + 60_000;
    await bed.ops.enterRetry(q, retryAt);
    expect(await bed.ops.stats(q)).toMatchObject({ mode: 'retry', queued: 1, retryAt });
    expect(await bed.ops.deleteWaiting(q, [id], {}, Date.now())).toMatchObject({ deleted: 1 });
    const stats = await bed.ops.stats(q);
    expect(stats).toMatchObject({ mode: 'normal', queued: 0, inflight: 0, paused: false });
    expect(stats.retryAt).toBeUndefined();
    // The stored state is untouched: mail that comes before the retry time still waits for it.
    expect(await bed.ops.state(q)).toMatchObject({ mode: 'retry', retryAt });
  });

  it("keeps a paused queue paused when a connection that was already delivering fails or succeeds, or the operator says retry now", async () => {
    const q = 'pausekept.example/mta1';
    await bed.ops.enterRetry(q, Date.now() - 1);
    await bed.ops.pause(q);
    // the connection that held mail when the pause came fails: the retry time is kept for resume, the pause stays
    expect(await bed.ops.enterRetry(q, Date.now() + 60_000)).toBe(2);
    expect(await bed.ops.state(q)).toMatchObject({ mode: 'paused', failures: 2 });
    await bed.ops.resume(q);
    expect((await bed.ops.state(q)).mode).toBe('retry');
    // paused again; a delivery that was on the wire succeeds, or the operator says retry now (pmta schedule)
    await bed.ops.pause(q);
    await bed.ops.leaveRetry(q);
    expect(await bed.ops.state(q)).toMatchObject({ mode: 'paused', failures: 0 });
    expect((await bed.ops.state(q)).retryAt).toBeUndefined();
    await bed.ops.resume(q);
    expect((await bed.ops.state(q)).mode).toBe('normal');
  });

  it('counts recipients queued, messages in flight and deferred, and the age of the oldest', async () => {
    const q = 'stats.example/mta1';
    const now = Date.now();
    await bed.store.enqueue({ ...message(['a@stats.example', 'b@stats.example']), receivedAt: now - 90_000 });
    const { id } = await bed.store.enqueue({ ...message(['c@stats.example']), receivedAt: now - 1000 });
    expect(await bed.ops.stats(q, now)).toMatchObject({ queue: q, mode: 'normal', paused: false, queued: 3, inflight: 0, deferred: 0, oldestAgeSeconds: 90 });
    const claimed = await bed.ops.claimDue(q, 0, now, 1);
    expect((await bed.ops.stats(q, now)).inflight).toBe(1);
    const msg = (await bed.store.get(claimed[0]!))!;
    await bed.ops.recordOutcomes({ id: msg.id, queue: q, slot: 0, recipients: [{ ...msg.recipients[0]!, state: 'delivered', attempts: 1 }, { ...msg.recipients[1]!, state: 'queued', attempts: 1 }], notBefore: now + 600_000 });
    expect(await bed.ops.stats(q, now)).toMatchObject({ queued: 2, inflight: 0, deferred: 1, delivered: 1 });
    await bed.ops.claimDue(q, 3, now, 10);
    expect(await bed.ops.requeueInflight(q, 3, now)).toBe(1);
    expect((await bed.ops.stats(q, now)).inflight).toBe(0);
    expect(id).toBeTruthy();
  });

  const totals = async () => {
    const h = await bed.redis.hgetall(bed.store.keys.totals());
    return { delivered: Number(h.delivered ?? 0), bounced: Number(h.bounced ?? 0), deferred: Number(h.deferred ?? 0) };
  };
  const recordsOf = async (id: string) =>
    (await bed.redis.xrange(bed.store.keys.accounting(), '-', '+'))
      .map(([, f]) => ({ type: f[f.indexOf('type') + 1], msgId: f[f.indexOf('msgId') + 1], rcpt: f[f.indexOf('rcpt') + 1] }))
      .filter((r) => r.msgId === id && r.type !== 'r');

  it('records a repeated finish (its lock was lost while SMTP went on) once: the finals of one domain count once, and the other domain stays queued and deliverable', async () => {
    const { id } = await bed.store.enqueue(message(['a1@dup-a.example', 'a2@dup-a.example', 'b1@dup-b.example']));
    const [qa, qb] = ['dup-a.example/mta1', 'dup-b.example/mta1'];
    const before = await totals();
    const latencyCount = async () => (await latencyHistograms(bed.redis, bed.store.keys)).get('mta1')?.count ?? 0;
    const latencyBefore = await latencyCount();
    expect(await bed.ops.claimDue(qa, 0, Date.now(), 10)).toEqual([id]);
    const batch = outcomes((await bed.store.get(id))!, qa, ['delivered', 'bounced']);
    expect(await bed.ops.recordOutcomes(batch)).toBe(1);
    // The same finish again: its slot's lock was lost while SMTP went on, and it finishes late.
    expect(await bed.ops.recordOutcomes(batch)).toBe(1);
    expect(await bed.redis.hget(bed.store.keys.messageMeta(id), 'pending')).toBe('1');
    expect((await bed.store.get(id))?.recipients.map((r) => r.state)).toEqual(['delivered', 'bounced', 'queued']);
    expect(await totals()).toEqual({ ...before, delivered: before.delivered + 1, bounced: before.bounced + 1 });
    expect(await bed.ops.state(qa)).toMatchObject({ delivered: 1, bounced: 1 });
    expect(await bed.redis.hget(bed.store.keys.queueState(qa), 'queued')).toBe('0');
    expect(await latencyCount()).toBe(latencyBefore + 1);
    expect((await recordsOf(id)).map((r) => `${r.type} ${r.rcpt}`)).toEqual(['d a1@dup-a.example', 'b a2@dup-a.example']);
    // Domain B's recipient is still queued, and its token can deliver it.
    expect(await bed.ops.claimDue(qb, 0, Date.now(), 10)).toEqual([id]);
    expect(await bed.ops.recordOutcomes(outcomes((await bed.store.get(id))!, qb, ['delivered']))).toBe(0);
    expect(await bed.store.get(id)).toBeUndefined();
    expect(await totals()).toEqual({ ...before, delivered: before.delivered + 2, bounced: before.bounced + 1 });
  });

  it('records a repeated deferral once and does not put the message back in the queue for the repeat', async () => {
    const { id } = await bed.store.enqueue(message(['x@dup-c.example']));
    const q = 'dup-c.example/mta1';
    const before = await totals();
    expect(await bed.ops.claimDue(q, 0, Date.now(), 10)).toEqual([id]);
    const later = Date.now() + 600_000;
    const batch = outcomes((await bed.store.get(id))!, q, ['queued'], later);
    expect(await bed.ops.recordOutcomes(batch)).toBe(1);
    // Another token claims the message when it is due again; the late repeat must not make it claimable twice.
    expect(await bed.ops.claimDue(q, 1, later, 10)).toEqual([id]);
    expect(await bed.ops.recordOutcomes(batch)).toBe(1);
    expect(await bed.store.queued(q)).toEqual([]);
    expect(await totals()).toEqual({ ...before, deferred: before.deferred + 1 });
    expect((await recordsOf(id)).map((r) => r.type)).toEqual(['t']);
    expect((await bed.store.get(id))?.recipients[0]).toMatchObject({ state: 'queued', attempts: 1 });
  });

  it('moves only this queue’s queued recipients, with counts, age and index, and is fenced by the slot holder', async () => {
    const from = 'a.move.example/mta1';
    const to = 'provider.rollup/mta1';
    const ref = { queue: from, domain: 'a.move.example', vmta: 'mta1' };
    const m = await bed.store.enqueue({ ...testMessage(['x@a.move.example', 'y@a.move.example', 'z@other.move.example']), receivedAt: 1_000 });
    const run = { processId: 'host:1:live', run: 'run-1', entry: heldSlotEntry({ ...ref, slot: 0, run: 'run-1' }) };
    await bed.ops.startToken(from, 0, Date.now(), run);
    expect((await bed.ops.claimShare(from, 0, Date.now(), 10, 1, run.run)).ids).toEqual([m.id]);
    // A run that lost the slot moves nothing.
    await expect(bed.ops.moveToQueue(from, 0, [m.id], to, 5_000, 'run-old')).rejects.toBeInstanceOf(SlotLostError);
    expect(await bed.store.queued(to)).toEqual([]);

    // A fan-out message may list each queue's recipients in its meta (q:<queue>, for reads of one queue): a move drops them.
    await bed.redis.hset(bed.ops.keys.messageMeta(m.id), `q:${from}`, '0,1', 'q:other.move.example/mta1', '2');
    expect(await bed.ops.moveToQueue(from, 0, [m.id], to, 5_000, run.run)).toBe(1);
    expect(Object.keys(await bed.redis.hgetall(bed.ops.keys.messageMeta(m.id))).filter((f) => f.startsWith('q:'))).toEqual([]);
    const moved = await bed.store.get(m.id);
    expect(moved!.recipients.map((r) => [r.address, r.domain, r.queue, r.state])).toEqual([
      ['x@a.move.example', 'a.move.example', to, 'queued'],
      ['y@a.move.example', 'a.move.example', to, 'queued'],
      ['z@other.move.example', 'other.move.example', 'other.move.example/mta1', 'queued'],
    ]);
    expect(await bed.redis.zrange(bed.ops.keys.queueReady(to), '0', '-1', 'WITHSCORES')).toEqual([m.id, '5000']);
    expect(await bed.redis.zscore(bed.ops.keys.queueAge(to), m.id)).toBe('1000');
    expect(await bed.redis.zscore(bed.ops.keys.queueAge(from), m.id)).toBeNull();
    expect(await bed.redis.smembers(bed.ops.keys.queueInflight(from, 0))).toEqual([]);
    expect(await bed.redis.sismember(bed.ops.keys.queueIndex(), to)).toBe(1);
    const [src, dst] = [await bed.ops.stats(from), await bed.ops.stats(to)];
    expect([src.queued, src.inflight, dst.queued, dst.inflight]).toEqual([0, 0, 2, 0]);
    // Done twice (a repeat after a lost reply): the id is no longer in the slot, nothing changes.
    expect(await bed.ops.moveToQueue(from, 0, [m.id], to, 6_000, run.run)).toBe(0);
    expect((await bed.ops.stats(to)).queued).toBe(2);
    // The other domain's part is untouched.
    expect(await bed.store.queued('other.move.example/mta1')).toEqual([m.id]);
  });

  it('keeps the age entry of a message in a rolled-up queue while recipients of its other domain moved in after the claim', async () => {
    const to = 'two.rollup/mta1';
    const m = await bed.store.enqueue(testMessage(['x@one.roll.example', 'y@two.roll.example'], { receivedAt: 1000 }));
    const [qa, qb] = ['one.roll.example/mta1', 'two.roll.example/mta1'];
    // The first domain's part moves to the rollup queue, whose token claims it (reading x only)...
    expect(await bed.ops.claimIds(qa, 0, [m.id])).toEqual([m.id]);
    expect(await bed.ops.moveToQueue(qa, 0, [m.id], to, 2_000)).toBe(1);
    expect(await bed.ops.claimIds(to, 0, [m.id])).toEqual([m.id]);
    // ...then the second domain's part moves in too, while that token holds the message.
    expect(await bed.ops.claimIds(qb, 0, [m.id])).toEqual([m.id]);
    expect(await bed.ops.moveToQueue(qb, 0, [m.id], to, 3_000)).toBe(1);
    const x = (await bed.store.get(m.id))!.recipients[0]!;
    expect(await bed.ops.recordOutcomes({ id: m.id, queue: to, slot: 0, recipients: [{ ...x, state: 'delivered', attempts: 1 }] })).toBe(1);
    // y waits in the rollup queue: its entry in the age index stays, so bounce-after still sees it.
    expect(await bed.redis.zscore(bed.ops.keys.queueAge(to), m.id)).toBe('1000');
    expect(await bed.redis.zscore(bed.ops.keys.queueReady(to), m.id)).toBe('3000');
    const y = (await bed.store.get(m.id))!.recipients[1]!;
    expect(y).toMatchObject({ queue: to, state: 'queued' });
    expect(await bed.ops.claimIds(to, 1, [m.id])).toEqual([m.id]);
    expect(await bed.ops.recordOutcomes({ id: m.id, queue: to, slot: 1, recipients: [{ ...y, state: 'delivered', attempts: 1 }] })).toBe(0);
    expect(await bed.redis.zscore(bed.ops.keys.queueAge(to), m.id)).toBeNull();
  });
});
