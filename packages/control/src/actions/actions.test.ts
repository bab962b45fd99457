import { Redis } from 'ioredis';
import { MessageStore, type QueueMode } from '@vmta/queue';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../cluster.js';
import { queueRef } from '../queue-ref.js';
import { deleteQueue } from './delete-queue.js';
import { queueModeActions, type QueueModeAction } from './queue-mode.js';
import { matchQueues, queueMatcher, selectQueues } from './select-queues.js';

describe('queue patterns', () => {
  it.each([
    ['*/mta1', 'a.example/mta1', true],
    ['*/mta1', 'a.example/mta10', false],
    ['A.EXAMPLE/*', 'a.example/mta2', true],
    ['a.example/mta1', 'aXexample/mta1', false],
    ['a.example/mta1', 'a.example/mta1', true],
    ['*.example/m*1', 'sub.a.example/mta1', true],
    ['[a]+/(x)', '[a]+/(x)', true],
  ])('%s matches %s: %s', (pattern, name, expected) => {
    expect(queueMatcher(pattern)(name)).toBe(expected);
  });
});

describe('operator actions against Redis', () => {
  let t: TestRedis;
  let redis: Redis;
  let store: MessageStore;
  let cluster: Cluster;

  async function enqueue(domain: string, vmta: string, recipients = 1) {
    const addresses = Array.from({ length: recipients }, (_, i) => ({ address: `r${i}@${domain}`, domain }));
    const base = { mailFrom: 's@example.org', body: Buffer.from('Subject: x\r\n\r\nx\r\n'), source: { ip: '127.0.0.9', listener: 'test' } };
    await store.enqueue({ ...base, vmta, recipients: addresses, receivedAt: Date.now() });
  }

  beforeAll(async () => {
    t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    redis = new Redis(t.url);
    store = new MessageStore(redis, { prefix });
    cluster = new Cluster(redis, prefix);
    await enqueue('a.example', 'mta1', 2);
    await enqueue('b.example', 'mta1');
    await enqueue('a.example', 'mta2');
  });
  afterAll(async () => {
    await cluster.close();
    await store.dispatcher.close();
    await t.cleanup();
    redis.disconnect();
  });

  it.each([
    ['one pattern', ['*/mta1'], ['a.example/mta1', 'b.example/mta1']],
    ['several patterns, each queue once, sorted', ['b.example/*', '*/mta1', 'a.example/mta2'], ['a.example/mta1', 'a.example/mta2', 'b.example/mta1']],
    ['a name in another case, spelled as the queue is', ['A.EXAMPLE/MTA2'], ['a.example/mta2']],
    ['no known queue', ['none.example/*', 'none.example/mta1'], []],
  ])('matches known queues: %s', async (_name, patterns, expected) => {
    expect(await matchQueues(cluster, patterns)).toEqual(expected);
  });

  it.each([
    ['a pattern matching queues', '*/mta1', ['a.example/mta1', 'b.example/mta1']],
    ['a plain name no queue has, as written', 'new.example/mta1', ['new.example/mta1']],
    ['a pattern matching nothing', 'none.example/*', []],
  ])('selects queues for a mode change: %s', async (_name, pattern, expected) => {
    expect(await selectQueues(cluster, pattern)).toEqual(expected);
  });

  const later = () => Date.now() + 3_600_000;
  it.each<[string, 'normal' | 'paused' | 'retry' | 'paused in retry', QueueModeAction, QueueMode, boolean]>([
    ['pauses a queue without waking it', 'normal', 'pause', 'paused', false],
    ['resumes a paused queue and wakes it', 'paused', 'resume', 'normal', true],
    ['resumes a queue paused in retry mode back to retry mode (its retry time has not come)', 'paused in retry', 'resume', 'retry', true],
    ['retries a queue in retry mode now and wakes it', 'retry', 'retry', 'normal', true],
    // pmta schedule */* from a cron must not undo an operator's pause: only resume releases it
    ['retries a paused queue now, which clears its retry time and leaves it paused', 'paused in retry', 'retry', 'paused', true],
  ])('%s', async (name, before, action, mode, woken) => {
    const queue = `${name.replace(/\W+/g, '-')}.example/mta1`;
    if (before === 'retry' || before === 'paused in retry') await cluster.ops.enterRetry(queue, later());
    if (before === 'paused' || before === 'paused in retry') await cluster.ops.pause(queue);
    expect(await queueModeActions[action](cluster, queue)).toEqual({ queue, mode });
    expect((await cluster.ops.state(queue)).mode).toBe(mode);
    expect((await cluster.dispatcher.tokenJob(queueRef(queue))) !== undefined).toBe(woken);
  });

  const purgeJobs = async (queue: string) => (await cluster.dispatcher.bull.getJobs(['waiting'])).filter((j) => j.data.kind === 'purge' && j.data.queue === queue);
  it.each([
    ['asks delivery to delete the mail of a queue, with DSNs', 'a.example/mta1', { dsn: true }, { recipients: 2, dsn: true, requested: true }],
    ['asks without DSNs', 'a.example/mta2', { dsn: false }, { recipients: 1, dsn: false, requested: true }],
    ['asks for an empty queue too unless told to skip it', 'empty.example/mta1', { dsn: false }, { recipients: 0, dsn: false, requested: true }],
    ['skips an empty queue when told to', 'skipped.example/mta1', { dsn: false, skipEmpty: true }, { recipients: 0, dsn: false, requested: false }],
    ['does not skip a queue holding mail', 'b.example/mta1', { dsn: true, skipEmpty: true }, { recipients: 1, dsn: true, requested: true }],
  ])('%s', async (_name, queue, options, expected) => {
    // A queue that held mail once and holds none now is still in the index.
    if (queue.includes('empty') || queue.includes('skipped')) await redis.sadd(cluster.keys.queueIndex(), queue);
    const result = await deleteQueue(cluster, queue, options);
    expect({ recipients: result?.recipients, dsn: result?.dsn, requested: result?.request !== undefined }).toEqual(expected);
    expect((await purgeJobs(queue)).map((j) => [j.id, j.data.dsn])).toEqual(result?.request ? [[result.request.jobId, expected.dsn]] : []);
    // Nothing is deleted here: delivery processes carry it out.
    expect((await cluster.ops.stats(queue)).queued).toBe(expected.recipients);
  });

  it('answers undefined for a queue that never held mail, and asks for nothing', async () => {
    expect(await deleteQueue(cluster, 'never.example/mta1', { dsn: false })).toBeUndefined();
    expect(await purgeJobs('never.example/mta1')).toEqual([]);
  });
});
