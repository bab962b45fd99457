import { Redis } from 'ioredis';
import { openQueueTestbed, testMessage, type QueueTestbed } from './testing/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heldSlotEntry, MessageStore, QueueOps, SlotLostError } from './index.js';

const message = testMessage;

describe('slot holders: a run fenced once recovery took its slot', () => {
  let bed: QueueTestbed;
  let redis: Redis;
  let store: MessageStore;
  let ops: QueueOps;
  beforeAll(async () => {
    bed = await openQueueTestbed();
    ({ redis, store, ops } = bed);
  });
  afterAll(() => bed.close());

  it('gives a silent run’s mail back, and the old run then claims, records and hands back nothing', async () => {
    const q = 'fence.example/mta1';
    const ref = { queue: q, domain: 'fence.example', vmta: 'mta1' };
    const a = await store.enqueue(message('a@fence.example'));
    const b = await store.enqueue(message('b@fence.example'));
    const old = { processId: 'host:1:dead', run: 'run-old', entry: heldSlotEntry({ ...ref, slot: 0, run: 'run-old' }) };
    await ops.startToken(q, 0, Date.now(), old);
    expect((await ops.claimShare(q, 0, Date.now(), 1, 1, old.run)).ids).toEqual([a.id]);
    // The process went silent: it is listed with its slot, and recovery takes the slot back.
    await redis.zadd(ops.keys.processIndex(), Date.now() - 20_000, old.processId);
    const silent = await ops.slotsOfSilentProcesses(Date.now() - 12_000);
    expect(silent.map((s) => s.held)).toEqual([{ ...ref, slot: 0, run: old.run }]);
    expect(await ops.releaseSlot(q, 0, old.run, Date.now(), true)).toBe(true);
    expect(await ops.releaseSlot(q, 0, old.run, Date.now(), true)).toBe(false); // a second recoverer finds nothing
    await ops.unlistSlot(old.processId, silent[0]!.entry);
    expect(await store.queued(q)).toEqual(expect.arrayContaining([a.id, b.id]));
    // The next holder claims both messages.
    const next = { processId: 'host:2:live', run: 'run-new', entry: heldSlotEntry({ ...ref, slot: 0, run: 'run-new' }) };
    await ops.startToken(q, 0, Date.now(), next);
    expect((await ops.claimShare(q, 0, Date.now(), 10, 1, next.run)).ids.sort()).toEqual([a.id, b.id].sort());
    // The old run wakes up: every step it tries is refused and writes nothing.
    await expect(ops.claimShare(q, 0, Date.now(), 10, 1, old.run)).rejects.toBeInstanceOf(SlotLostError);
    const msg = (await store.get(a.id))!;
    await expect(ops.recordOutcomes({ id: a.id, queue: q, slot: 0, run: old.run, recipients: [{ ...msg.recipients[0]!, state: 'delivered', attempts: 1 }] })).rejects.toMatchObject({ code: 'SLOT_LOST' });
    await expect(ops.requeueInflight(q, 0, Date.now(), old.run)).rejects.toBeInstanceOf(SlotLostError);
    expect((await store.get(a.id))!.recipients[0]!.state).toBe('queued');
    expect((await redis.smembers(ops.keys.queueInflight(q, 0))).sort()).toEqual([a.id, b.id].sort());
    expect((await ops.stats(q)).inflight).toBe(2);
    // The new run records as usual, and its end lets go of the slot and unlists it.
    expect(await ops.recordOutcomes({ id: a.id, queue: q, slot: 0, run: next.run, recipients: [{ ...msg.recipients[0]!, state: 'delivered', attempts: 1 }] })).toBe(0);
    await ops.endRun(q, 0, next, Date.now());
    expect(await redis.exists(ops.keys.queueSlotHolder(q, 0))).toBe(0);
    expect(await redis.smembers(ops.keys.processSlots(next.processId))).toEqual([]);
  });

  it('lets a run whose process keeps beating keep its slot', async () => {
    const q = 'live.example/mta1';
    const ref = { queue: q, domain: 'live.example', vmta: 'mta1' };
    await store.enqueue(message('a@live.example'));
    const hold = { processId: 'host:3:live', run: 'run-live', entry: heldSlotEntry({ ...ref, slot: 0, run: 'run-live' }) };
    await ops.startToken(q, 0, Date.now(), hold);
    await redis.zadd(ops.keys.processIndex(), Date.now() - 5_000, hold.processId);
    expect(await ops.slotsOfSilentProcesses(Date.now() - 12_000)).toEqual([]);
    expect((await ops.claimShare(q, 0, Date.now(), 10, 1, hold.run)).ids).toHaveLength(1);
    expect(await ops.holds(q, 0, hold.run)).toBe(true);
  });
});
