/**
 * `vmta delete --queue`: a purge job taken by a running delivery process. Real Redis, a real
 * SMTP receiver for the DSNs; every outcome is polled for, no timing is asserted.
 */
import type { Redis } from 'ioredis';
import { DISPATCH_QUEUE, Dispatcher, Keys, type MessageStore, type NewMessage, type QueueOps, type TokenData } from '@vmta/queue';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDeliveryTestbed, type DeliveryTestbed } from '../testing/delivery-testbed.js';
import type { Receiver } from '../testing/test-smtp-receiver.js';

const SENDER = 'sender@sender.test';
const POLL = { timeout: 20_000 };

function message(recipients: string[], receivedAt = Date.now()): NewMessage {
  return {
    mailFrom: SENDER,
    recipients: recipients.map((address) => ({ address, domain: address.split('@')[1]! })),
    body: Buffer.from(`Subject: to delete\r\nFrom: ${SENDER}\r\n\r\nhello\r\n`),
    vmta: 'mta1',
    source: { ip: '127.0.0.9', listener: '127.0.0.1:2525', heloName: 'client.test' },
    receivedAt,
  };
}

function fieldsOf(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

describe('deleting the mail of a queue (purge jobs)', () => {
  let bed: DeliveryTestbed;
  let redis: Redis;
  let receiver: Receiver;
  let store: MessageStore;
  let ops: QueueOps;
  let keys: Keys;
  let dispatcher: Dispatcher;
  const ref = (queue: string) => ({ queue, domain: queue.split('/')[0]!, vmta: 'mta1' });

  beforeAll(async () => {
    bed = await openDeliveryTestbed();
    ({ redis, store, ops } = bed);
    receiver = await bed.receiver({ host: '127.0.0.10', startTls: false });
    keys = new Keys(bed.prefix);
    dispatcher = bed.closeWith(new Dispatcher(redis, bed.prefix));
    await bed.deliver(
      // An <acct-file> so that outcomes are written to the accounting stream the test reads.
      ['host-name mta.example.test', '<acct-file acct.csv>', '</acct-file>', '<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 mta1.test', '</virtual-mta>', '<domain *>', `  smtp-hosts [127.0.0.10]:${receiver.port}`, '</domain>'].join('\n'),
      { concurrency: 4 },
    );
  });
  afterAll(() => bed.close());

  it('drops the mail of a paused queue without a DSN, counted as bounced with bounceCat "deleted"', async () => {
    const q = 'quiet.test/mta1';
    await ops.pause(q);
    const a = await store.enqueue(message(['a@quiet.test', 'b@quiet.test', 'x@elsewhere.test']));
    const b = await store.enqueue(message(['c@quiet.test']));
    expect((await ops.stats(q)).queued).toBe(3);
    await dispatcher.purge(ref(q), { dsn: false });
    await expect.poll(async () => (await ops.stats(q)).queued, POLL).toBe(0);
    expect(await store.get(b.id)).toBeUndefined();
    // The other queue of the first message is untouched: its recipient is delivered as usual.
    await expect.poll(() => store.get(a.id), POLL).toBeUndefined();
    expect(receiver.messages.flatMap((m) => m.to)).toEqual(['x@elsewhere.test']);
    const state = await ops.stats(q);
    expect(state).toMatchObject({ bounced: 3, inflight: 0, mode: 'paused' });
    const records = (await redis.xrange(keys.accounting(), '-', '+')).map(([, f]) => fieldsOf(f)).filter((r) => r.queue === q);
    expect(records.map((r) => [r.type, r.rcpt, r.bounceCat, r.dsnStatus, r.dsnAction]).sort()).toEqual([
      ['b', 'a@quiet.test', 'deleted', '5.0.0', 'failed'],
      ['b', 'b@quiet.test', 'deleted', '5.0.0', 'failed'],
      ['b', 'c@quiet.test', 'deleted', '5.0.0', 'failed'],
    ]);
    expect(receiver.messages.filter((m) => m.from === '')).toEqual([]);
  });

  it('sends each sender a DSN with --dsn, and keeps mail that arrived after the request', async () => {
    const q = 'loud.test/mta1';
    await ops.pause(q);
    const old = await store.enqueue(message(['a@loud.test'], Date.now() - 1000));
    const before = Date.now() - 500;
    const young = await store.enqueue(message(['b@loud.test'], Date.now()));
    await dispatcher.purge(ref(q), { dsn: true, before });
    await expect.poll(() => store.get(old.id), POLL).toBeUndefined();
    await expect.poll(() => receiver.messages.filter((m) => m.from === '').length, POLL).toBe(1);
    const dsn = receiver.messages.find((m) => m.from === '')!;
    expect(dsn.to).toEqual([SENDER]);
    expect(dsn.body).toContain('Final-Recipient: rfc822; a@loud.test');
    expect(dsn.body).toContain('Status: 5.0.0');
    expect(dsn.body).toContain('deleted by the operator');
    expect(dsn.body).not.toContain('b@loud.test');
    expect((await store.get(young.id))?.recipients.map((r) => r.state)).toEqual(['queued']);
    expect((await ops.stats(q)).queued).toBe(1);
  });

  it('leaves mail a connection holds to it and deletes it once the connection gave it back', async () => {
    const q = 'busy.test/mta1';
    await ops.pause(q);
    const held = await store.enqueue(message(['a@busy.test']));
    const free = await store.enqueue(message(['b@busy.test']));
    // A connection holds the first message, as during a transaction. Slot 7: no token of this
    // paused queue has it (the real token #0 would give back what slot 0 holds when it runs).
    expect(await ops.claimIds(q, 7, [held.id])).toEqual([held.id]);
    await dispatcher.purge(ref(q), { dsn: false });
    await expect.poll(() => store.get(free.id), POLL).toBeUndefined();
    expect((await store.get(held.id))?.recipients.map((r) => r.state)).toEqual(['queued']);
    // The connection ends without delivering it (say a 4xx): the mail goes back to the queue...
    await ops.requeueInflight(q, 7, Date.now());
    // ...and the delete, looking again a little later, takes it.
    await expect.poll(() => store.get(held.id), POLL).toBeUndefined();
    expect(await ops.stats(q)).toMatchObject({ queued: 0, inflight: 0, bounced: 2 });
  });

  it('a filtered delete keeps what it does not name at its retry time, and is done once nothing was held (no looking again)', async () => {
    const q = 'filter.test/mta1';
    await ops.pause(q);
    const spam = await Promise.all([0, 1, 2].map(() => store.enqueue({ ...message(['s@filter.test']), mailFrom: 'spam@sender.test' })));
    const other = await store.enqueue(message(['o@filter.test']));
    // The other message waits for a retry an hour ahead: the delete must not make it due now.
    const retryAt = Date.now() + 3_600_000;
    await redis.zadd(keys.queueReady(q), retryAt, other.id);
    const { jobId } = await dispatcher.purge(ref(q), { dsn: false, filter: { orig: 'spam@sender.test' } });
    for (const m of spam) await expect.poll(() => store.get(m.id), POLL).toBeUndefined();
    // The purge job completes (removed on completion) instead of waiting to look again.
    const bull = new Queue<TokenData>(DISPATCH_QUEUE, { connection: redis, prefix: keys.bullPrefix() });
    try {
      await expect.poll(async () => (await bull.getJob(jobId)) === undefined, POLL).toBe(true);
    } finally {
      await bull.close();
    }
    expect(Number(await redis.zscore(keys.queueReady(q), other.id))).toBe(retryAt);
    expect(await ops.stats(q)).toMatchObject({ queued: 1, inflight: 0, bounced: 3 });
  });

  it('numbers each request with a slot of its own below the expiry slot', async () => {
    const one = await dispatcher.purge(ref('n.test/mta1'), { dsn: false });
    const two = await dispatcher.purge(ref('n.test/mta1'), { dsn: false });
    expect(one.slot).toBeLessThan(-1);
    expect(two.slot).toBeLessThan(one.slot);
    expect(two.jobId).not.toBe(one.jobId);
  });
});
