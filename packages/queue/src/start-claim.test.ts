import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heldSlotEntry } from './index.js';
import { openQueueTestbed, testMessage, type QueueTestbed } from './testing/index.js';

describe('startToken with a first claim (one script for the start of a run)', () => {
  let bed: QueueTestbed;
  beforeAll(async () => {
    bed = await openQueueTestbed();
  });
  afterAll(() => bed.close());

  const holdOf = (domain: string, run: string) => ({ processId: 'host:1:p', run, entry: heldSlotEntry({ queue: `${domain}/mta1`, domain, vmta: 'mta1', slot: 0, run }) });

  it('claims the share of a queue in a plain state, as claimShare would, and marks the queue awake', async () => {
    const now = Date.now();
    const a = await bed.store.enqueue(testMessage('a@plain.example', { receivedAt: now - 2_000 }));
    await bed.store.enqueue(testMessage('b@plain.example', { receivedAt: now - 1_000 }));
    const q = 'plain.example/mta1';
    const hold = holdOf('plain.example', 'run-1');
    const { state, claimed } = await bed.ops.startToken(q, 0, now, hold, undefined, { limit: 50, spread: 2, releaseIfEmpty: true, atLeast: 1 });
    expect(state.mode).toBe('normal');
    expect(claimed).toEqual({ ids: [a.id], remaining: 1 });
    expect(await bed.redis.smembers(bed.ops.keys.queueInflight(q, 0))).toEqual([a.id]);
    expect(await bed.redis.exists(bed.ops.keys.queueAwake(q))).toBe(1);
    // The run holds the slot: its next claim goes on as usual.
    expect((await bed.ops.claimShare(q, 0, now, 50, 2, hold.run)).ids).toHaveLength(1);
  });

  it('lets go of the slot when the first claim finds nothing and the run would end, and says when mail is due', async () => {
    const now = Date.now();
    await bed.store.enqueue(testMessage('later@empty.example', { receivedAt: now - 1_000 }));
    const q = 'empty.example/mta1';
    const due = now + 60_000;
    await bed.redis.zadd(bed.ops.keys.queueReady(q), String(due), (await bed.redis.zrange(bed.ops.keys.queueReady(q), '0', '0'))[0]!);
    const hold = holdOf('empty.example', 'run-2');
    const { claimed } = await bed.ops.startToken(q, 0, now, hold, undefined, { limit: 50, spread: 20, releaseIfEmpty: true, atLeast: 1 });
    expect(claimed).toEqual({ ids: [], remaining: 0, nextDue: due });
    expect(await bed.redis.exists(bed.ops.keys.queueSlotHolder(q, 0))).toBe(0);
    expect(await bed.redis.smembers(bed.ops.keys.processSlots(hold.processId))).not.toContain(hold.entry);
    expect(await bed.redis.exists(bed.ops.keys.queueAwake(q))).toBe(0);
  });

  it('claims nothing for a queue in retry mode, paused or in backoff: the run decides from the state', async () => {
    const now = Date.now();
    for (const [domain, set] of [
      ['retry.example', (q: string) => bed.ops.enterRetry(q, now + 60_000)],
      ['paused.example', (q: string) => bed.redis.hset(bed.ops.keys.queueState(q), 'mode', 'paused')],
      ['backoff.example', (q: string) => bed.redis.hset(bed.ops.keys.queueState(q), 'mode', 'backoff', 'backoffSince', String(now))],
      ['recovering.example', (q: string) => bed.redis.hset(bed.ops.keys.queueState(q), 'recoverySince', String(now))],
    ] as const) {
      await bed.store.enqueue(testMessage(`x@${domain}`, { receivedAt: now - 1_000 }));
      const q = `${domain}/mta1`;
      await set(q);
      const { claimed } = await bed.ops.startToken(q, 0, now, holdOf(domain, `run-${domain}`), undefined, { limit: 50, spread: 20, releaseIfEmpty: true, atLeast: 1 });
      expect(claimed, domain).toBeUndefined();
      expect(await bed.redis.zcard(bed.ops.keys.queueReady(q)), domain).toBe(1);
    }
  });

  it('claims nothing without a first claim asked for (the start as before)', async () => {
    const now = Date.now();
    await bed.store.enqueue(testMessage('y@asked.example', { receivedAt: now - 1_000 }));
    const { claimed } = await bed.ops.startToken('asked.example/mta1', 0, now, holdOf('asked.example', 'run-3'));
    expect(claimed).toBeUndefined();
    expect(await bed.redis.zcard(bed.ops.keys.queueReady('asked.example/mta1'))).toBe(1);
  });
});
