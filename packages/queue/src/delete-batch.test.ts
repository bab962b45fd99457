import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIM_FOR_DELETE, DELETE_BATCH, DELETE_WAITING, deliveryRecord, type DeleteOutcomes, type StoredMessage } from './index.js';
import { sharedQueueTestbed, testMessage } from './testing/index.js';

/** What a delete hands deleteBatch for these recipients of the message in queue q: bounced, one `b` record each. */
function bounced(msg: StoredMessage, q: string, named: (address: string) => boolean = () => true): DeleteOutcomes {
  const mine = msg.recipients.filter((r) => r.queue === q && r.state === 'queued');
  const go = mine.filter((r) => named(r.address));
  return {
    id: msg.id,
    ...(msg.job ? { job: msg.job } : {}),
    keep: go.length < mine.length,
    recipients: go.map((r) => ({ ...r, state: 'bounced' as const, attempts: r.attempts + 1, lastReply: '554 5.0.0 deleted by the operator' })),
    accounting: go.map((r) => deliveryRecord(msg, r, { outcome: 'bounced', dsnStatus: '5.0.0', dsnDiag: 'deleted by the operator', bounceCat: 'deleted', queue: q }, new Date().toISOString())),
  };
}

describe('a delete\'s scripts: claimForDelete claims and reads candidates once, releaseClaimed gives back what is not named, deleteBatch finishes a batch in bounded scripts, deleteWaiting deletes inside Redis when no records are needed', () => {
  const bed = sharedQueueTestbed(beforeAll, afterAll);

  it('deletes exactly the named messages and recipients, with queue, job and index counters right', async () => {
    const q = 'del.example/mta1';
    const slot = 7;
    // More than one script call's worth: plain messages of the job, messages with a recipient in
    // another queue too, messages with two recipients here of which the filter names one, and
    // messages the delete does not name at all.
    const n = DELETE_BATCH * 2 + 13;
    const plain: string[] = [];
    const shared: string[] = [];
    const half: string[] = [];
    const untouched: string[] = [];
    for (let i = 0; i < n; i++) {
      plain.push((await bed.store.enqueue(testMessage([`p${i}@del.example`], { job: 'J1' }))).id);
      if (i % 10 === 0) shared.push((await bed.store.enqueue(testMessage([`s${i}@del.example`, `s${i}@other.example`], { job: 'J1' }))).id);
      if (i % 10 === 1) half.push((await bed.store.enqueue(testMessage([`go${i}@del.example`, `stay${i}@del.example`]))).id);
      if (i % 10 === 2) untouched.push((await bed.store.enqueue(testMessage([`u${i}@del.example`]))).id);
    }
    const before = await bed.ops.stats(q);
    const acctBefore = await bed.redis.xlen(bed.store.keys.accounting());
    const named = [...plain, ...shared, ...half];
    expect(await bed.ops.claimIds(q, slot, named)).toHaveLength(named.length);
    const messages = await bed.store.getMany(named);
    const batch = messages.map((m) => bounced(m!, q, (a) => !a.startsWith('stay')));
    const recipients = batch.reduce((s, b) => s + b.recipients.length, 0);
    expect(await bed.ops.deleteBatch(q, slot, batch, Date.now())).toBe(recipients);

    // Plain messages are gone with every key and their job entry; shared ones stay for the other
    // queue, out of this queue's index; half-named ones are back in the queue with one recipient.
    for (const id of plain) expect(await bed.redis.exists(bed.store.keys.messageMeta(id), bed.store.keys.messageRecipients(id), bed.store.keys.messageBody(id))).toBe(0);
    expect(await bed.redis.hmget(bed.store.keys.messageJobs(), ...plain)).toEqual(plain.map(() => null));
    for (const id of shared) {
      const m = await bed.store.get(id);
      expect(m?.recipients.map((r) => [r.queue, r.state])).toEqual([
        [q, 'bounced'],
        ['other.example/mta1', 'queued'],
      ]);
      expect(await bed.redis.zscore(bed.store.keys.queueAge(q), id)).toBeNull();
      expect(await bed.redis.zscore(bed.store.keys.queueAge('other.example/mta1'), id)).not.toBeNull();
    }
    for (const id of half) {
      const m = await bed.store.get(id);
      expect(m?.recipients.map((r) => r.state)).toEqual(['bounced', 'queued']);
      expect(await bed.redis.zscore(bed.store.keys.queueReady(q), id)).not.toBeNull();
      expect(await bed.redis.zscore(bed.store.keys.queueAge(q), id)).not.toBeNull();
    }
    for (const id of untouched) expect((await bed.store.get(id))?.recipients[0]?.state).toBe('queued');
    expect(await bed.redis.scard(bed.store.keys.queueInflight(q, slot))).toBe(0);

    const after = await bed.ops.stats(q);
    expect(after.queued).toBe(before.queued - recipients);
    expect(after.inflight).toBe(before.inflight);
    expect(await bed.redis.zcard(bed.store.keys.queueAge(q))).toBe(half.length + untouched.length);
    expect(Number(await bed.redis.hget(bed.store.keys.jobStats('J1'), 'bounced'))).toBe(plain.length + shared.length);
    expect(Number(await bed.redis.hget(bed.store.keys.queueState(q), 'bounced'))).toBe(recipients);
    expect((await bed.redis.xlen(bed.store.keys.accounting())) - acctBefore).toBe(recipients);

    // A repeat (a purge that died after the step and runs again) changes nothing.
    expect(await bed.ops.claimIds(q, slot, named)).toEqual(half);
    const again = (await bed.store.getMany(half)).map((m) => bounced(m!, q, (a) => !a.startsWith('stay')));
    expect(again.every((b) => b.recipients.length === 0 && b.keep)).toBe(true);
    expect(await bed.ops.deleteBatch(q, slot, [...batch.slice(0, 5), ...again], Date.now())).toBe(0);
    expect((await bed.ops.stats(q)).queued).toBe(after.queued);
    expect((await bed.redis.xlen(bed.store.keys.accounting())) - acctBefore).toBe(recipients);
    expect(Number(await bed.redis.hget(bed.store.keys.jobStats('J1'), 'bounced'))).toBe(plain.length + shared.length);
    for (const id of half) expect(await bed.redis.zscore(bed.store.keys.queueReady(q), id)).not.toBeNull();
  });

  it('claims only waiting mail (of the job, when given), reads meta and recipients, and releases at the old score', async () => {
    const q = 'claim.example/mta1';
    const slot = -9;
    const k = bed.store.keys;
    // More than one script call's worth of each job.
    const n = CLAIM_FOR_DELETE + 7;
    const a: string[] = [];
    const b: string[] = [];
    for (let i = 0; i < n; i++) {
      a.push((await bed.store.enqueue(testMessage([`a${i}@claim.example`], { job: 'A', mailFrom: 'a@sender.example', source: { ip: '127.0.0.9', listener: 'l', heloName: 'client.test' } }))).id);
      b.push((await bed.store.enqueue(testMessage([`b${i}@claim.example`, `b${i}@other.example`], { job: 'B' }))).id);
    }
    // One of A is held by a token (not waiting): never claimed by the delete.
    const [heldByToken] = await bed.ops.claimIds(q, 3, [a[0]!]);
    // One of B waits for a retry far ahead: its score must come back unchanged.
    const later = Date.now() + 3_600_000;
    await bed.redis.zadd(k.queueReady(q), later, b[1]!);
    const inflightBefore = Number(await bed.redis.hget(k.queueState(q), 'inflight'));

    const { busy, claimed: claimedA } = await bed.ops.claimForDelete(q, slot, [...a, ...b], 'A');
    expect(busy).toBe(1);
    expect(claimedA.map((c) => c.id).sort()).toEqual(a.filter((id) => id !== heldByToken).sort());
    const first = claimedA.find((c) => c.id === a[1]);
    expect(first?.message).toMatchObject({ id: a[1], mailFrom: 'a@sender.example', job: 'A', vmta: 'mta1', source: { heloName: 'client.test' } });
    expect(first?.message?.recipients).toMatchObject([{ index: 0, address: 'a1@claim.example', queue: q, state: 'queued', attempts: 0 }]);
    expect(await bed.redis.scard(k.queueInflight(q, slot))).toBe(n - 1);
    expect(Number(await bed.redis.hget(k.queueState(q), 'inflight'))).toBe(inflightBefore + n - 1);

    // Without a job every waiting candidate goes; a message gone meanwhile comes back without a head.
    const { claimed: claimedB } = await bed.ops.claimForDelete(q, slot, b);
    expect(claimedB).toHaveLength(n);
    expect(claimedB.find((c) => c.id === b[1])?.score).toBe(later);
    expect(claimedB.find((c) => c.id === b[2])?.message?.recipients.map((r) => r.address)).toEqual(['b2@claim.example', 'b2@other.example']);

    // Give B back: each at the score it had, out of the slot, the in-flight count down again; a repeat changes nothing.
    const scores = await Promise.all(b.map((id) => bed.redis.zscore(k.queueReady(q), id)));
    expect(scores.every((s) => s === null)).toBe(true);
    expect(await bed.ops.releaseClaimed(q, slot, claimedB)).toBe(n);
    expect(await bed.ops.releaseClaimed(q, slot, claimedB)).toBe(0);
    expect(Number(await bed.redis.zscore(k.queueReady(q), b[1]!))).toBe(later);
    for (const c of claimedB) expect(Number(await bed.redis.zscore(k.queueReady(q), c.id))).toBe(c.score);
    expect(await bed.redis.scard(k.queueInflight(q, slot))).toBe(n - 1);
    expect(Number(await bed.redis.hget(k.queueState(q), 'inflight'))).toBe(inflightBefore + n - 1);
  });

  it('reads a message gone meanwhile as no head, so the delete only unindexes it', async () => {
    const q = 'gone.example/mta1';
    const { id } = await bed.store.enqueue(testMessage(['x@gone.example']));
    await bed.redis.del(bed.store.keys.messageMeta(id), bed.store.keys.messageRecipients(id));
    const [c] = (await bed.ops.claimForDelete(q, -8, [id])).claimed;
    expect(c).toMatchObject({ id });
    expect(c?.message).toBeUndefined();
  });

  const gone = async (id: string) => (await bed.redis.exists(bed.store.keys.messageMeta(id), bed.store.keys.messageRecipients(id), bed.store.keys.messageBody(id))) === 0;

  it('deletes exactly the job\'s waiting mail, hands back mail with recipients in other queues, leaves held mail, and counts each recipient once', async () => {
    const q = 'wait.example/mta1';
    const k = bed.store.keys;
    // More than one script call's worth of each kind.
    const n = DELETE_WAITING * 2 + 9;
    const plain: string[] = [];
    const shared: string[] = [];
    const other: string[] = [];
    for (let i = 0; i < n; i++) {
      plain.push((await bed.store.enqueue(testMessage([`p${i}@wait.example`], { job: 'W1' }))).id);
      other.push((await bed.store.enqueue(testMessage([`o${i}@wait.example`], { job: 'W2' }))).id);
      if (i % 10 === 0) shared.push((await bed.store.enqueue(testMessage([`s${i}@wait.example`, `s${i}@other.example`], { job: 'W1' }))).id);
    }
    // One of W1 is held by a token: not waiting, so left alone and counted busy.
    const [held] = await bed.ops.claimIds(q, 3, [plain[0]!]);
    const before = await bed.ops.stats(q);
    const totalsBefore = Number((await bed.redis.hget(k.totals(), 'bounced')) ?? 0);
    const ids = [...plain, ...shared, ...other];

    const r = await bed.ops.deleteWaiting(q, ids, { job: 'W1' }, Date.now());
    const deleted = plain.length - 1;
    expect(r).toEqual({ busy: 1, removed: deleted, deleted, handed: shared });

    for (const id of plain.slice(1)) expect(await gone(id)).toBe(true);
    expect(await bed.redis.hmget(k.messageJobs(), ...plain.slice(1))).toEqual(plain.slice(1).map(() => null));
    expect(await gone(held!)).toBe(false);
    for (const id of [...shared, ...other]) {
      expect((await bed.store.get(id))?.recipients[0]?.state).toBe('queued');
      expect(await bed.redis.zscore(k.queueReady(q), id)).not.toBeNull();
      expect(await bed.redis.zscore(k.queueAge(q), id)).not.toBeNull();
    }
    const after = await bed.ops.stats(q);
    expect(after.queued).toBe(before.queued - deleted);
    expect(after.bounced).toBe(before.bounced + deleted);
    expect(after.inflight).toBe(before.inflight);
    expect(await bed.redis.zcard(k.queueAge(q))).toBe(1 + shared.length + other.length);
    expect(Number(await bed.redis.hget(k.jobStats('W1'), 'bounced'))).toBe(deleted);
    expect(await bed.redis.hget(k.jobStats('W2'), 'bounced')).toBeNull();
    expect(Number(await bed.redis.hget(k.totals(), 'bounced'))).toBe(totalsBefore + deleted);

    // A repeat changes nothing: what it deleted is no longer waiting.
    const again = await bed.ops.deleteWaiting(q, ids, { job: 'W1' }, Date.now());
    expect(again).toEqual({ busy: deleted + 1, removed: 0, deleted: 0, handed: shared });
    expect((await bed.ops.stats(q)).queued).toBe(after.queued);
    expect(Number(await bed.redis.hget(k.jobStats('W1'), 'bounced'))).toBe(deleted);
  });

  it('names mail by sender without regard to case and by received time, and unindexes a message gone meanwhile', async () => {
    const q = 'orig.example/mta1';
    const k = bed.store.keys;
    const t0 = Date.now() - 60_000;
    const spam = (i: number, at: number) => bed.store.enqueue(testMessage([`x${i}@orig.example`], { mailFrom: 'Bad@Sender.example', receivedAt: at }));
    const oldSpam = [(await spam(0, t0)).id, (await spam(1, t0)).id];
    const newSpam = [(await spam(2, t0 + 30_000)).id];
    const ham = [(await bed.store.enqueue(testMessage(['y@orig.example'], { mailFrom: 'good@sender.example', receivedAt: t0 }))).id];
    const { id: vanished } = await bed.store.enqueue(testMessage(['z@orig.example'], { mailFrom: 'bad@sender.example', receivedAt: t0 }));
    await bed.redis.del(k.messageMeta(vanished), k.messageRecipients(vanished));
    const ids = [...oldSpam, ...newSpam, ...ham, vanished];
    const queuedBefore = (await bed.ops.stats(q)).queued;

    const r = await bed.ops.deleteWaiting(q, ids, { orig: 'BAD@sender.EXAMPLE', receivedBefore: t0 + 1_000 }, Date.now());
    expect(r).toEqual({ busy: 0, removed: 3, deleted: 2, handed: [] });
    for (const id of oldSpam) expect(await gone(id)).toBe(true);
    for (const id of [...newSpam, ...ham]) expect((await bed.store.get(id))?.recipients[0]?.state).toBe('queued');
    expect(await bed.redis.zscore(k.queueAge(q), vanished)).toBeNull();
    expect(await bed.redis.zscore(k.queueReady(q), vanished)).toBeNull();
    // (the vanished message's count is not corrected, as deleteBatch does not: it was never deleted here)
    expect((await bed.ops.stats(q)).queued).toBe(queuedBefore - 2);
  });
});
