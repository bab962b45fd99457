import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Keys } from '../keys.js';
import type { MessageStore } from '../message-store.js';
import type { RecipientRecord } from '../message.js';
import { outcomeInput, type OutcomeBatch } from '../outcome-input.js';
import { openQueueTestbed, testMessage, testOutcomes, type QueueTestbed } from '../testing/index.js';
import { OUTCOMES_MESSAGE_GONE, SLOT_LOST } from './constants.js';
import { scripts } from './index.js';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const RUN = 'run-1';

/** Every key of the prefix with its value (stream entries without their time-made ids) and whether it expires. */
async function readAll(redis: Redis, prefix: string): Promise<Record<string, unknown>> {
  const keys = (await redis.keys(`${prefix}*`)).sort();
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const type = await redis.type(key);
    const expires = (await redis.pttl(key)) > 0;
    if (type === 'hash') out[key] = { expires, value: await redis.hgetall(key) };
    else if (type === 'zset') out[key] = { expires, value: await redis.zrange(key, '0', '-1', 'WITHSCORES') };
    else if (type === 'set') out[key] = { expires, value: (await redis.smembers(key)).sort() };
    else if (type === 'string') out[key] = { expires, value: await redis.get(key) };
    else if (type === 'list') out[key] = { expires, value: await redis.lrange(key, 0, -1) };
    else if (type === 'stream') out[key] = { expires, value: (await redis.xrange(key, '-', '+')).map(([, fields]) => fields) };
    else out[key] = { expires, type };
  }
  return out;
}

/** The prefix's keys as they are now, and a way to put them back so. */
async function snapshot(redis: Redis, prefix: string): Promise<() => Promise<void>> {
  const keys = await redis.keys(`${prefix}*`);
  const saved = await Promise.all(keys.map(async (key) => ({ key, dump: await redis.dumpBuffer(key), pttl: await redis.pttl(key) })));
  return async () => {
    const now = await redis.keys(`${prefix}*`);
    if (now.length > 0) await redis.del(...now);
    for (const s of saved) if (s.dump) await redis.restore(s.key, Math.max(0, s.pttl), s.dump, 'REPLACE');
  };
}

describe('recordOutcomesMany: the outcomes of several messages in one call', () => {
  let bed: QueueTestbed;
  let redis: Redis;
  let store: MessageStore;
  let keys: Keys;
  beforeAll(async () => {
    bed = await openQueueTestbed();
    ({ redis, store } = bed);
    keys = store.keys;
  });
  afterAll(() => bed.close());

  /** Enqueues a message to these recipients, claims it into slot 0 of each of its queues (held by RUN), and reads it back. */
  async function claimed(recipients: string[]) {
    const { id, queues } = await store.enqueue(testMessage(recipients, { receivedAt: NOW - 5_000 }));
    for (const q of queues) {
      await redis.hset(keys.queueSlotHolder(q, 0), 'run', RUN);
      await redis.zrem(keys.queueReady(q), id);
      await redis.sadd(keys.queueInflight(q, 0), id);
      await redis.hincrby(keys.queueState(q), 'inflight', 1);
    }
    return (await store.get(id))!;
  }

  function outcomes(msg: Awaited<ReturnType<typeof claimed>>, queue: string, states: RecipientRecord['state'][], notBefore?: number): OutcomeBatch {
    return { ...testOutcomes(msg, queue, states, notBefore), run: RUN };
  }

  /** Each case's batches, made on fresh mail of its own domains. */
  const cases: Array<{ name: string; make(n: string): Promise<OutcomeBatch[]>; replies: number[] }> = [
    {
      name: 'delivered',
      make: async (n) => [outcomes(await claimed([`a@d${n}.example`]), `d${n}.example/mta1`, ['delivered'])],
      replies: [0],
    },
    {
      name: 'deferred with a retry time',
      make: async (n) => [outcomes(await claimed([`a@d${n}.example`, `b@d${n}.example`]), `d${n}.example/mta1`, ['queued', 'queued'], NOW + 60_000)],
      replies: [2],
    },
    {
      name: 'bounced',
      make: async (n) => [outcomes(await claimed([`a@d${n}.example`]), `d${n}.example/mta1`, ['bounced'])],
      replies: [0],
    },
    {
      name: 'delivered in one queue, still queued in another',
      make: async (n) => [outcomes(await claimed([`a@d${n}.example`, `b@e${n}.example`]), `d${n}.example/mta1`, ['delivered'])],
      replies: [1],
    },
    {
      name: 'the message gone (its outcome recorded twice)',
      make: async (n) => {
        const b = outcomes(await claimed([`a@d${n}.example`]), `d${n}.example/mta1`, ['delivered']);
        return [b, b];
      },
      replies: [0, OUTCOMES_MESSAGE_GONE],
    },
    {
      name: 'the slot not held by the run',
      make: async (n) => [{ ...outcomes(await claimed([`a@d${n}.example`]), `d${n}.example/mta1`, ['delivered']), run: 'run-0' }],
      replies: [SLOT_LOST],
    },
    {
      name: 'all of these mixed in one call, one message in two queues',
      make: async (n) => {
        const two = await claimed([`a@d${n}.example`, `b@e${n}.example`]);
        const repeat = outcomes(await claimed([`c@d${n}.example`, `d@e${n}.example`]), `d${n}.example/mta1`, ['bounced']);
        return [
          outcomes(await claimed([`e@d${n}.example`]), `d${n}.example/mta1`, ['delivered']),
          outcomes(two, `d${n}.example/mta1`, ['queued'], NOW + 60_000),
          repeat,
          { ...outcomes(await claimed([`f@d${n}.example`]), `d${n}.example/mta1`, ['delivered']), run: 'run-0' },
          outcomes(two, `e${n}.example/mta1`, ['delivered']),
          repeat,
          outcomes(await claimed([`g@e${n}.example`, `h@e${n}.example`]), `e${n}.example/mta1`, ['bounced', 'queued'], NOW + 30_000),
        ];
      },
      replies: [0, 2, 1, SLOT_LOST, 1, 1, 1],
    },
  ];

  it.each(cases.map((c, i) => ({ ...c, n: String(i) })))('answers and writes as one recordOutcomes call per message: $name', async ({ make, n, replies }) => {
    const batches = await make(n);
    const inputs = batches.map((b) => outcomeInput(keys, b, NOW, true));
    const restore = await snapshot(redis, bed.t.prefix);
    const s = scripts(redis);
    const single: number[] = [];
    for (const input of inputs) single.push(await s.recordOutcomes(keys, input));
    const afterSingle = await readAll(redis, bed.t.prefix);
    await restore();
    const many = await s.recordOutcomesMany(keys, inputs);
    expect(single).toEqual(replies);
    expect(many).toEqual(single);
    expect(await readAll(redis, bed.t.prefix)).toEqual(afterSingle);
  });

  it("answers one message's error for that message only, and records the others", async () => {
    const q = 'bad.example/mta1';
    const [a, b, c] = [await claimed(['a@bad.example']), await claimed(['b@bad.example']), await claimed(['c@bad.example'])];
    await redis.hset(keys.messageRecipients(b.id), String(b.recipients[0]!.index), 'not json');
    const replies = await scripts(redis).recordOutcomesMany(keys, [a, b, c].map((m) => outcomeInput(keys, outcomes(m, q, ['delivered']), NOW, true)));
    expect(replies[0]).toBe(0);
    expect(replies[1]).toEqual({ error: expect.stringMatching(/invalid token/) });
    expect(replies[2]).toBe(0);
    expect(await redis.exists(keys.messageMeta(a.id), keys.messageMeta(c.id))).toBe(0);
    expect(await redis.exists(keys.messageMeta(b.id))).toBe(1);
  });
});
