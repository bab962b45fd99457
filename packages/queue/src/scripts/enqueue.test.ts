import { Redis } from 'ioredis';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keys, MessageStore, QueueUnavailableError } from '../index.js';
import { testMessage } from '../testing/index.js';
import { enqueue, enqueueDocument } from './enqueue.js';

const DOMAINS = ['one.example', 'two.example', 'three.example', 'four.example'];

const message = (recipients: number) =>
  testMessage(Array.from({ length: recipients }, (_, i) => `r${i}@${DOMAINS[i % DOMAINS.length]!}`), { body: Buffer.from('Subject: many\r\n\r\nhello\r\n') });

describe('the enqueue script', () => {
  let t: TestRedis;
  let redis: Redis;
  const stores: MessageStore[] = [];
  /** A store of its own (own prefix under the test's), so a broken key breaks no other test. */
  const storeNamed = (name: string): MessageStore => {
    const store = new MessageStore(redis, { prefix: `${t.prefix}${name}` });
    stores.push(store);
    return store;
  };
  /** Every key of a store with its content, BullMQ's keys left out (tokens are added after the script). */
  const snapshot = async (store: MessageStore): Promise<Record<string, unknown>> => {
    const keys = (await redis.keys(`${store.keys.prefix}:*`)).filter((k) => !k.includes(':bull:')).sort();
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const type = await redis.type(key);
      out[key] =
        type === 'hash' ? await redis.hgetall(key)
        : type === 'zset' ? await redis.zrange(key, '0', '-1', 'WITHSCORES')
        : type === 'set' ? (await redis.smembers(key)).sort()
        : type === 'stream' ? await redis.xrange(key, '-', '+')
        : await redis.get(key);
    }
    return out;
  };
  beforeAll(async () => {
    t = await getTestRedis();
    redis = new Redis(t.url);
  });
  afterAll(async () => {
    for (const store of stores) await store.dispatcher.close();
    await t.cleanup();
    redis.disconnect();
  });

  it('queues a message of 10,000 recipients over four domains, each in its queue, with one r record each', async () => {
    const store = storeNamed('many');
    const { id, queues } = await store.enqueue(message(10_000));
    expect(queues).toEqual(DOMAINS.map((d) => `${d}/mta1`));
    const stored = (await store.get(id))!;
    expect(stored.recipients).toHaveLength(10_000);
    expect(stored.recipients[9_999]).toMatchObject({ address: 'r9999@four.example', queue: 'four.example/mta1', state: 'queued' });
    for (const q of queues) {
      expect(await store.queued(q)).toEqual([id]);
      expect(await redis.hget(store.keys.queueState(q), 'queued')).toBe('2500');
    }
    expect(await redis.hget(store.keys.messageMeta(id), 'pending')).toBe('10000');
    expect(await redis.xlen(store.keys.accounting())).toBe(10_000);
    expect(await redis.hget(store.keys.totals(), 'received')).toBe('10000');
  });

  it.each([
    ['the totals', (s: MessageStore) => s.keys.totals()],
    ['the accounting stream', (s: MessageStore) => s.keys.accounting()],
  ])('leaves nothing behind when a write fails part way (%s of the wrong type)', async (what, broken) => {
    const store = storeNamed(`broken-${what.replace(/ /g, '-')}`);
    await redis.set(broken(store), 'not what the script expects');
    const before = await snapshot(store);
    const err = await store.enqueue(message(12)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueUnavailableError);
    expect(String((err as Error).message)).toMatch(/ENQUEUE_UNDONE/);
    expect(await snapshot(store)).toEqual(before);
  });

  it('keeps what the queues held before when a later enqueue fails and is undone', async () => {
    const store = storeNamed('held');
    await store.enqueue(message(8));
    const before = await snapshot(store);
    await redis.del(store.keys.accounting());
    await redis.set(store.keys.accounting(), 'broken');
    const withBroken = await snapshot(store);
    await expect(store.enqueue(message(8))).rejects.toBeInstanceOf(QueueUnavailableError);
    expect(await snapshot(store)).toEqual(withBroken);
    // Everything but the stream is as it was before the failed enqueue.
    const keep = (s: Record<string, unknown>) => Object.fromEntries(Object.entries(s).filter(([k]) => k !== store.keys.accounting()));
    expect(keep(withBroken)).toEqual(keep(before));
  });

  it('takes meta, recipients, queues and records as one JSON argument after the six scalars', () => {
    const args = enqueue.args(new Keys('p'), {
      id: 'm1',
      body: Buffer.from('x'),
      receivedAt: 1000,
      recipients: 2,
      meta: { from: 'a@b', vmta: 'mta1' },
      rcpts: { '0': '{"i":0}', '1': '{"i":1}' },
      queues: [{ name: 'b/mta1', mark: '{"q":1}', recipients: 2, bounceAfterMs: 60_000 }],
      records: [['type', 'r', 'rcpt', 'x@b'], ['type', 'r', 'rcpt', 'y@b']],
      minuteKey: 'p:min',
    });
    const keys = args[0] as number;
    expect(keys).toBe(16);
    const argv = args.slice(1 + keys);
    expect(argv.slice(0, 6)).toEqual(['m1', Buffer.from('x'), 1000, 2, '', 1000]);
    expect(argv).toHaveLength(7);
    expect(JSON.parse(argv[6] as string)).toEqual({
      meta: ['from', 'a@b', 'vmta', 'mta1'],
      rcpts: ['0', '{"i":0}', '1', '{"i":1}'],
      queues: [['b/mta1', '{"q":1}', 2, 60_000]],
      records: [['type', 'r', 'rcpt', 'x@b'], ['type', 'r', 'rcpt', 'y@b']],
    });
  });

  it('writes lone surrogates as U+FFFD, as UTF-8 arguments did, and everything else as it is', () => {
    const doc = { meta: ['k', 'a\ud800b', 'p', '\ud83d\ude00 \\ud800 "/'], rcpts: [], queues: [], records: [['x', '\udc00']] };
    expect(JSON.parse(enqueueDocument(doc))).toEqual({ ...doc, meta: ['k', 'a\ufffdb', 'p', '\ud83d\ude00 \\ud800 "/'], records: [['x', '\ufffd']] });
  });

  it('stores values with quotes, backslashes, slashes, line ends, non-ASCII and lone surrogates byte for byte as their UTF-8', async () => {
    const store = storeNamed('bytes');
    const helo = 'h\u00e9lo "q" \\ / \r\n \ud83d\ude00 \ud800';
    const from = '"a\\"b\\\\c/d"@ex\u00e4mple.org';
    const msg = testMessage(['\u00fc\u00e9@one.example', 'plain@two.example'], { mailFrom: from, envId: 'env\udc00id', source: { ip: '127.0.0.9', listener: 'l', heloName: helo } });
    const { id } = await store.enqueue(msg);
    const utf8 = (s: string) => Buffer.from(s, 'utf8');
    expect(await redis.hgetBuffer(store.keys.messageMeta(id), 'from')).toEqual(utf8(from));
    expect(await redis.hgetBuffer(store.keys.messageMeta(id), 'envid')).toEqual(utf8('env\ufffdid'));
    expect(await redis.hgetBuffer(store.keys.messageMeta(id), 'src')).toEqual(utf8(JSON.stringify(msg.source)));
    const stored = (await store.get(id))!;
    expect(stored.mailFrom).toBe(from);
    expect(stored.recipients.map((r) => r.address)).toEqual(['\u00fc\u00e9@one.example', 'plain@two.example']);
    const records = await redis.xrange(store.keys.accounting(), '-', '+');
    const fields = Object.fromEntries(records[0]![1].reduce<[string, string][]>((o, v, i, a) => (i % 2 === 0 ? [...o, [v, a[i + 1]!]] : o), []));
    expect(fields).toMatchObject({ orig: from, rcpt: '\u00fc\u00e9@one.example', srcMta: helo.replace('\ud800', '\ufffd'), envId: 'env\ufffdid' });
  });
});
