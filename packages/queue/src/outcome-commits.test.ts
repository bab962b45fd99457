import { canStartPrivateRedis, startPrivateRedis } from '@vmta/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OutcomeRecordError } from './errors.js';
import { MessageStore } from './message-store.js';
import type { StoredMessage } from './message.js';
import { OutcomeCommits } from './outcome-commits.js';
import { QueueOps } from './queue-ops.js';
import { OUTCOMES_PER_CALL, scripts, type RecordOutcomesInput } from './scripts/index.js';
import { sharedQueueTestbed, testMessage, testOutcomes } from './testing/index.js';

/** Enqueues one message per recipient and claims them all into slot 0 of `queue`. */
async function claimedMail(store: MessageStore, ops: QueueOps, queue: string, recipients: string[]): Promise<StoredMessage[]> {
  const ids: string[] = [];
  for (const r of recipients) ids.push((await store.enqueue(testMessage(r))).id);
  expect((await ops.claimDue(queue, 0, Date.now(), ids.length)).sort()).toEqual([...ids].sort());
  return Promise.all(ids.map(async (id) => (await store.get(id))!));
}

const input = (id: string): RecordOutcomesInput => ({ id, queue: 'q.example/mta1', slot: 0, minuteKey: 'm', records: [], recipients: [] });

describe('OutcomeCommits: the outcomes of one event-loop turn in one call', () => {
  it('sends the calls of one turn together, OUTCOMES_PER_CALL a call, and each caller gets its own answer', async () => {
    const sent: string[][] = [];
    const commits = new OutcomeCommits(async (inputs) => {
      sent.push(inputs.map((i) => i.id));
      return inputs.map((i) => Number(i.id));
    });
    const ids = Array.from({ length: 2 * OUTCOMES_PER_CALL + 20 }, (_, i) => String(i));
    expect(await Promise.all(ids.map((id) => commits.record(input(id))))).toEqual(ids.map(Number));
    expect(sent.map((s) => s.length)).toEqual([OUTCOMES_PER_CALL, OUTCOMES_PER_CALL, 20]);
    expect(sent.flat()).toEqual(ids);
    // A call made after the group went out waits for the next turn's group.
    await commits.record(input('7'));
    expect(sent).toHaveLength(4);
  });

  it('gives a failed call to every caller of its group as OutcomeRecordError, and READONLY as it came', async () => {
    const down = new Error('Connection is closed.');
    const commits = new OutcomeCommits(async () => Promise.reject(down));
    const errs = await Promise.all(['1', '2'].map((id) => commits.record(input(id)).catch((e: unknown) => e)));
    for (const [i, err] of errs.entries()) {
      expect(err).toBeInstanceOf(OutcomeRecordError);
      expect(err).toMatchObject({ code: 'OUTCOME_RECORD_FAILED', id: String(i + 1), queue: 'q.example/mta1', cause: down });
    }
    const readonly = new Error("READONLY You can't write against a read only replica.");
    const refused = new OutcomeCommits(async () => Promise.reject(readonly));
    const both = await Promise.all(['1', '2'].map((id) => refused.record(input(id)).catch((e: unknown) => e)));
    expect(both).toEqual([readonly, readonly]);
  });
});

describe('QueueOps#recordOutcomes as a group commit (real Redis)', () => {
  const bed = sharedQueueTestbed(beforeAll, afterAll);

  it('records the outcomes of one turn in one script call per OUTCOMES_PER_CALL messages', async () => {
    const { store, ops, redis } = bed;
    const q = 'group.example/mta1';
    const mail = await claimedMail(store, ops, q, Array.from({ length: OUTCOMES_PER_CALL + 10 }, (_, i) => `r${i}@group.example`));
    const many = vi.spyOn(scripts(redis), 'recordOutcomesMany');
    try {
      const left = await Promise.all(mail.map((m) => ops.recordOutcomes(testOutcomes(m, q, ['delivered']))));
      expect(left).toEqual(mail.map(() => 0));
      expect(many.mock.calls.map(([, inputs]) => inputs.length)).toEqual([OUTCOMES_PER_CALL, 10]);
      expect(await redis.exists(...mail.map((m) => store.keys.messageMeta(m.id)))).toBe(0);
      expect(Number(await redis.hget(store.keys.queueState(q), 'delivered'))).toBe(mail.length);
    } finally {
      many.mockRestore();
    }
  });

  it("rejects only the caller whose message failed in Redis; the others' outcomes are written", async () => {
    const { store, ops, redis } = bed;
    const q = 'onebad.example/mta1';
    const [a, b, c] = await claimedMail(store, ops, q, ['a@onebad.example', 'b@onebad.example', 'c@onebad.example']);
    await redis.hset(store.keys.messageRecipients(b!.id), String(b!.recipients[0]!.index), 'not json');
    const settled = await Promise.allSettled([a, b, c].map((m) => ops.recordOutcomes(testOutcomes(m!, q, ['delivered']))));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ name: 'OutcomeRecordError', code: 'OUTCOME_RECORD_FAILED', id: b!.id, queue: q });
    expect(await redis.exists(store.keys.messageMeta(a!.id), store.keys.messageMeta(c!.id))).toBe(0);
    expect(await redis.hget(store.keys.messageMeta(b!.id), 'pending')).toBe('1');
  });
});

describe.skipIf(!canStartPrivateRedis())('QueueOps#recordOutcomes on a demoted primary (READONLY)', () => {
  it('fails every caller of the group with READONLY and writes nothing; the same outcomes go through once it is a primary again', async () => {
    const server = await startPrivateRedis({ appendOnly: false });
    const redis = new Redis(server.url);
    const store = new MessageStore(redis);
    const ops = new QueueOps(redis);
    try {
      const q = 'ro.example/mta1';
      const mail = await claimedMail(store, ops, q, ['a@ro.example', 'b@ro.example']);
      const before = await redis.dbsize();
      // A replica of a primary that is not there: it keeps its data and refuses writes.
      await redis.replicaof('127.0.0.1', 1);
      const errs = await Promise.all(mail.map((m) => ops.recordOutcomes(testOutcomes(m, q, ['delivered'])).catch((e: unknown) => e)));
      for (const err of errs) {
        expect(err).not.toBeInstanceOf(OutcomeRecordError);
        expect((err as Error).message).toMatch(/^READONLY/);
      }
      await redis.replicaof('NO', 'ONE');
      expect(await redis.dbsize()).toBe(before);
      for (const m of mail) expect(await redis.hget(store.keys.messageMeta(m.id), 'pending')).toBe('1');
      expect(await Promise.all(mail.map((m) => ops.recordOutcomes(testOutcomes(m, q, ['delivered']))))).toEqual([0, 0]);
    } finally {
      await store.dispatcher.close();
      redis.disconnect();
      await server.dispose();
    }
  });
});
