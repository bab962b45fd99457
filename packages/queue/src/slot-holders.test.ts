import { Redis } from 'ioredis';
import { sharedQueueTestbed, testMessage } from './testing/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heldSlotEntry, SlotLostError } from './index.js';

const message = testMessage;

describe('slot holders: a run fenced once recovery took its slot', () => {
  const bed = sharedQueueTestbed(beforeAll, afterAll);

  it('gives a silent run’s mail back, and the old run then claims, records and hands back nothing', async () => {
    const q = 'fence.example/mta1';
    const ref = { queue: q, domain: 'fence.example', vmta: 'mta1' };
    const a = await bed.store.enqueue(message('a@fence.example'));
    const b = await bed.store.enqueue(message('b@fence.example'));
    const old = { processId: 'host:1:dead', run: 'run-old', entry: heldSlotEntry({ ...ref, slot: 0, run: 'run-old' }) };
    await bed.ops.startToken(q, 0, Date.now(), old);
    expect((await bed.ops.claimShare(q, 0, Date.now(), 1, 1, old.run)).ids).toEqual([a.id]);
    // The process went silent: it is listed with its slot, and recovery takes the slot back.
    await bed.redis.zadd(bed.ops.keys.processIndex(), Date.now() - 20_000, old.processId);
    const silent = await bed.ops.slotsOfSilentProcesses(Date.now() - 12_000);
    expect(silent.map((s) => s.held)).toEqual([{ ...ref, slot: 0, run: old.run }]);
    expect(await bed.ops.releaseSlot(q, 0, old.run, Date.now(), true)).toBe(true);
    expect(await bed.ops.releaseSlot(q, 0, old.run, Date.now(), true)).toBe(false); // a second recoverer finds nothing
    await bed.ops.unlistSlot(old.processId, silent[0]!.entry);
    expect(await bed.store.queued(q)).toEqual(expect.arrayContaining([a.id, b.id]));
    // The next holder claims both messages.
    const next = { processId: 'host:2:live', run: 'run-new', entry: heldSlotEntry({ ...ref, slot: 0, run: 'run-new' }) };
    await bed.ops.startToken(q, 0, Date.now(), next);
    expect((await bed.ops.claimShare(q, 0, Date.now(), 10, 1, next.run)).ids.sort()).toEqual([a.id, b.id].sort());
    // The old run wakes up: every step it tries is refused and writes nothing.
    await expect(bed.ops.claimShare(q, 0, Date.now(), 10, 1, old.run)).rejects.toBeInstanceOf(SlotLostError);
    const msg = (await bed.store.get(a.id))!;
    await expect(bed.ops.recordOutcomes({ id: a.id, queue: q, slot: 0, run: old.run, recipients: [{ ...msg.recipients[0]!, state: 'delivered', attempts: 1 }] })).rejects.toMatchObject({ code: 'SLOT_LOST' });
    await expect(bed.ops.requeueInflight(q, 0, Date.now(), old.run)).rejects.toBeInstanceOf(SlotLostError);
    expect((await bed.store.get(a.id))!.recipients[0]!.state).toBe('queued');
    expect((await bed.redis.smembers(bed.ops.keys.queueInflight(q, 0))).sort()).toEqual([a.id, b.id].sort());
    expect((await bed.ops.stats(q)).inflight).toBe(2);
    // The new run records as usual, and its end lets go of the slot and unlists it.
    expect(await bed.ops.recordOutcomes({ id: a.id, queue: q, slot: 0, run: next.run, recipients: [{ ...msg.recipients[0]!, state: 'delivered', attempts: 1 }] })).toBe(0);
    await bed.ops.endRun(q, 0, next, Date.now());
    expect(await bed.redis.exists(bed.ops.keys.queueSlotHolder(q, 0))).toBe(0);
    expect(await bed.redis.smembers(bed.ops.keys.processSlots(next.processId))).toEqual([]);
  });

  it('starts a run in one script: lists and holds the slot, gives back its leftovers, indexes slot 0 and answers the state', async () => {
    const q = 'start-held.example/mta1';
    const ref = { queue: q, domain: 'start-held.example', vmta: 'mta1' };
    const a = await bed.store.enqueue({ ...message('a@start-held.example'), receivedAt: Date.now() - 60_000 });
    expect(await bed.ops.claimDue(q, 0, Date.now(), 10)).toEqual([a.id]);
    const hold = { processId: 'host:4:live', run: 'run-start', entry: heldSlotEntry({ ...ref, slot: 0, run: 'run-start' }) };
    const before = await commandCalls(bed.redis);
    const { state } = await bed.ops.startToken(q, 0, Date.now(), hold, { ref, bounceAfterMs: 3_600_000 });
    const after = await commandCalls(bed.redis);
    // One call from the client: the script (commands run inside it are counted too, hence only EVALSHA/EVAL at the top).
    expect((after.evalsha ?? 0) + (after.eval ?? 0) - (before.evalsha ?? 0) - (before.eval ?? 0)).toBe(1);
    expect(state).toMatchObject({ mode: 'normal', failures: 0 });
    expect(await bed.ops.holds(q, 0, hold.run)).toBe(true);
    expect(await bed.redis.smembers(bed.ops.keys.processSlots(hold.processId))).toEqual([hold.entry]);
    expect(await bed.store.queued(q)).toEqual([a.id]);
    expect(await bed.redis.scard(bed.ops.keys.queueInflight(q, 0))).toBe(0);
    expect(await bed.ops.expiry.dueAt(q)).toBe((await bed.ops.oldest(q))! + 3_600_000);
    expect(await bed.ops.expiry.ref(q)).toEqual(ref);
  });

  it('lets an empty claim with a release entry let go of the slot, and only an empty one', async () => {
    const q = 'release.example/mta1';
    const ref = { queue: q, domain: 'release.example', vmta: 'mta1' };
    const a = await bed.store.enqueue(message('a@release.example'));
    const hold = { processId: 'host:5:live', run: 'run-release', entry: heldSlotEntry({ ...ref, slot: 0, run: 'run-release' }) };
    await bed.ops.startToken(q, 0, Date.now(), hold);
    // Mail claimed: the slot stays held and listed.
    expect((await bed.ops.claimShare(q, 0, Date.now(), 10, 1, hold.run, hold)).ids).toEqual([a.id]);
    expect(await bed.ops.holds(q, 0, hold.run)).toBe(true);
    // Another run's release entry is refused with its claim: nothing is let go.
    await expect(bed.ops.claimShare(q, 0, Date.now(), 10, 1, 'run-other', { ...hold, entry: 'other' })).rejects.toBeInstanceOf(SlotLostError);
    expect(await bed.ops.holds(q, 0, hold.run)).toBe(true);
    // A later message, not due yet: the empty claim answers when, and lets go of the slot.
    const later = await bed.store.enqueue({ ...message('b@release.example'), receivedAt: Date.now() + 60_000 });
    const empty = await bed.ops.claimShare(q, 0, Date.now(), 10, 1, hold.run, hold);
    expect(empty.ids).toEqual([]);
    expect(empty.nextDue).toBe(await bed.ops.nextDue(q));
    expect(await bed.redis.exists(bed.ops.keys.queueSlotHolder(q, 0))).toBe(0);
    expect(await bed.redis.smembers(bed.ops.keys.processSlots(hold.processId))).toEqual([]);
    expect(await bed.store.queued(q)).toContain(later.id);
  });

  it('lets a run whose process keeps beating keep its slot', async () => {
    const q = 'live.example/mta1';
    const ref = { queue: q, domain: 'live.example', vmta: 'mta1' };
    await bed.store.enqueue(message('a@live.example'));
    const hold = { processId: 'host:3:live', run: 'run-live', entry: heldSlotEntry({ ...ref, slot: 0, run: 'run-live' }) };
    await bed.ops.startToken(q, 0, Date.now(), hold);
    await bed.redis.zadd(bed.ops.keys.processIndex(), Date.now() - 5_000, hold.processId);
    expect(await bed.ops.slotsOfSilentProcesses(Date.now() - 12_000)).toEqual([]);
    expect((await bed.ops.claimShare(q, 0, Date.now(), 10, 1, hold.run)).ids).toHaveLength(1);
    expect(await bed.ops.holds(q, 0, hold.run)).toBe(true);
  });
});

/** Calls per command since the server started (INFO commandstats). */
async function commandCalls(redis: Redis): Promise<Record<string, number>> {
  const info = await redis.info('commandstats');
  const calls: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[m[1]!] = Number(m[2]);
  return calls;
}
