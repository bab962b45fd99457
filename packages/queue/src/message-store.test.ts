import { canStartPrivateRedis, startPrivateRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageStore, QueueOps, QueueUnavailableError, createRedis, newMessageId, redisReady, type NewMessage, RateCounter } from './index.js';
import { sharedQueueTestbed } from './testing/index.js';

function message(overrides: Partial<NewMessage> = {}): NewMessage {
  const line = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n';
  return {
    mailFrom: 'sender@example.org',
    recipients: [
      { address: 'a@example.com', domain: 'example.com' },
      { address: 'b@example.com', domain: 'example.com', orcpt: 'rfc822;b@example.com', notify: ['FAILURE'] },
      { address: 'c@other.test', domain: 'other.test' },
    ],
    body: Buffer.from(`Subject: hi\r\nFrom: sender@example.org\r\n\r\n${line.repeat(130)}`),
    vmta: 'mta1',
    vmtaPool: 'pool1',
    source: { ip: '127.0.0.9', listener: '127.0.0.1:2525', authUser: 'alice', heloName: 'client.test' },
    receivedAt: Date.now(),
    ...overrides,
  };
}

describe('MessageStore', () => {
  const bed = sharedQueueTestbed(beforeAll, afterAll);

  it('stores the body once and the recipients grouped into domain/vmta queues', async () => {
    const msg = message();
    const { id, queues } = await bed.store.enqueue(msg);
    expect(queues).toEqual(['example.com/mta1', 'other.test/mta1']);
    const stored = await bed.store.get(id);
    expect(stored?.body.equals(msg.body)).toBe(true);
    expect(stored?.recipients.map((r) => [r.address, r.queue, r.state])).toEqual([
      ['a@example.com', 'example.com/mta1', 'queued'],
      ['b@example.com', 'example.com/mta1', 'queued'],
      ['c@other.test', 'other.test/mta1', 'queued'],
    ]);
    expect(stored?.recipients[1]?.notify).toEqual(['FAILURE']);
    expect(stored).toMatchObject({ mailFrom: 'sender@example.org', vmta: 'mta1', vmtaPool: 'pool1', size: msg.body.length });
    expect(await bed.store.queued('example.com/mta1')).toContain(id);
    expect(await bed.store.queued('other.test/mta1')).toContain(id);
    const bodyKeys = await bed.redis.keys(`${bed.t.prefix}{m:${id}}:*`);
    expect(bodyKeys.sort()).toEqual([`${bed.t.prefix}{m:${id}}:body`, `${bed.t.prefix}{m:${id}}:meta`, `${bed.t.prefix}{m:${id}}:rcpts`]);
  });

  it('stores the job in the meta hash as field job and reads it back; a message without a job has no field', async () => {
    const withJob = await bed.store.enqueue(message({ job: 'spring-sale' }));
    expect(await bed.redis.hget(bed.store.keys.messageMeta(withJob.id), 'job')).toBe('spring-sale');
    expect((await bed.store.get(withJob.id))?.job).toBe('spring-sale');
    const without = await bed.store.enqueue(message());
    expect(await bed.redis.hexists(bed.store.keys.messageMeta(without.id), 'job')).toBe(0);
    expect(await bed.store.get(without.id)).not.toHaveProperty('job');
  });

  it('wakes a paused queue only for its first message (whose token puts the queue in the bounce-after index), not for every message', async () => {
    const ops = new QueueOps(bed.redis, bed.t.prefix.slice(0, -1));
    const ref = { queue: 'paused-wake.example/mta1', domain: 'paused-wake.example', vmta: 'mta1' };
    const to = (local: string) => message({ recipients: [{ address: `${local}@paused-wake.example`, domain: 'paused-wake.example' }] });
    await ops.pause(ref.queue);
    const first = await bed.store.enqueue(to('a'));
    const token = await bed.store.dispatcher.tokenJob(ref);
    expect(await token?.getState()).toBe('waiting');
    // The token's pass finds the pause and goes away (what delivery does), and its awake mark runs out.
    await token!.remove();
    await bed.redis.del(bed.store.keys.queueAwake(ref.queue));
    const second = await bed.store.enqueue(to('b'));
    const third = await bed.store.enqueue(to('c'));
    expect(await bed.store.dispatcher.tokenJob(ref)).toBeUndefined();
    expect((await bed.store.queued(ref.queue)).sort()).toEqual([first.id, second.id, third.id].sort());
    // What `vmta resume` and the HTTP resume do.
    await ops.resume(ref.queue);
    await bed.store.dispatcher.wake(ref);
    expect(await (await bed.store.dispatcher.tokenJob(ref))?.getState()).toBe('waiting');
    // A queue that is not paused wakes a token whenever none is awake.
    const open = { queue: 'open-wake.example/mta1', domain: 'open-wake.example', vmta: 'mta1' };
    const toOpen = message({ recipients: [{ address: 'x@open-wake.example', domain: 'open-wake.example' }] });
    await bed.store.enqueue(toOpen);
    await (await bed.store.dispatcher.tokenJob(open))!.remove();
    await bed.redis.del(bed.store.keys.queueAwake(open.queue));
    await bed.store.enqueue(toOpen);
    expect(await (await bed.store.dispatcher.tokenJob(open))?.getState()).toBe('waiting');
  });

  it('compresses a body when that pays and keeps small ones raw', async () => {
    const big = message();
    const { id } = await bed.store.enqueue(big);
    expect(await bed.redis.strlen(bed.store.keys.messageBody(id))).toBeLessThan(big.body.length / 4);
    const small = message({ body: Buffer.from('Subject: x\r\n\r\nhi\r\n') });
    const { id: smallId } = await bed.store.enqueue(small);
    expect(await bed.redis.strlen(bed.store.keys.messageBody(smallId))).toBe(small.body.length);
    expect((await bed.store.get(smallId))?.body.toString()).toBe('Subject: x\r\n\r\nhi\r\n');
  });

  it('keeps binary bodies byte for byte', async () => {
    const body = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 256));
    const { id } = await bed.store.enqueue(message({ body }));
    expect((await bed.store.get(id))?.body.equals(body)).toBe(true);
  });

  it('writes one r accounting record per recipient', async () => {
    const { id } = await bed.store.enqueue(message());
    const entries = await bed.redis.xrange(bed.store.keys.accounting(), '-', '+');
    const mine = entries.map(([, f]) => Object.fromEntries(f.map((v, i, a) => (i % 2 ? [] : [v, a[i + 1]])).filter((x) => x.length))).filter((r) => r.msgId === id);
    expect(mine.map((r) => [r.type, r.rcpt, r.vmta, r.vmtaPool, r.rcvSmtpUser, r.rcvSourceIp])).toEqual([
      ['r', 'a@example.com', 'mta1', 'pool1', 'alice', '127.0.0.9'],
      ['r', 'b@example.com', 'mta1', 'pool1', 'alice', '127.0.0.9'],
      ['r', 'c@other.test', 'mta1', 'pool1', 'alice', '127.0.0.9'],
    ]);
  });

  it('makes time-sortable unique ids', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => newMessageId(1_700_000_000_000 + i));
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort()).toEqual(ids);
  });

  it('counts AUTH failures per subject across connections in a window', async () => {
    const a = new RateCounter(bed.redis, bed.t.prefix.slice(0, -1));
    const rate = { count: 3, perMs: 60_000 };
    const now = 1_000_000_020_000;
    for (let i = 0; i < 3; i++) await a.hit('auth-fail', '10.0.0.1', rate, now);
    expect(await a.exceeded('auth-fail', '10.0.0.1', rate, now)).toBe(true);
    expect(await a.exceeded('auth-fail', '10.0.0.2', rate, now)).toBe(false);
    expect(await a.exceeded('auth-fail', '10.0.0.1', rate, now + 60_000)).toBe(false);
  });
});

describe.skipIf(!canStartPrivateRedis())('MessageStore when Redis is away or full', () => {
  it('fails with QUEUE_UNAVAILABLE when Redis is down and works again when it is back', async () => {
    const server = await startPrivateRedis();
    const redis = createRedis(server.url, 'listener');
    const store = new MessageStore(redis);
    try {
      await redisReady(redis);
      await store.enqueue(message());
      await server.stop();
      await expect(store.enqueue(message())).rejects.toMatchObject({ code: 'QUEUE_UNAVAILABLE' });
      await server.restart();
      await expect.poll(() => redis.status, { timeout: 10_000 }).toBe('ready');
      const { id } = await store.enqueue(message());
      expect(await store.get(id)).toBeDefined();
    } finally {
      redis.disconnect();
      await server.dispose();
    }
  });

  it('writes nothing at all when Redis is out of memory', async () => {
    const server = await startPrivateRedis({ appendOnly: false });
    const redis = createRedis(server.url, 'listener');
    const store = new MessageStore(redis);
    try {
      await redisReady(redis);
      await store.enqueue(message());
      const before = await redis.dbsize();
      await redis.config('SET', 'maxmemory', '1');
      const err = await store.enqueue(message()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QueueUnavailableError);
      await redis.config('SET', 'maxmemory', '0');
      expect(await redis.dbsize()).toBe(before);
    } finally {
      redis.disconnect();
      await server.dispose();
    }
  });
});
