import { Redis } from 'ioredis';
import { loadConfigText } from '@vmta/config';
import { QueueEvents } from 'bullmq';
import { ExpiryIndex, Keys, laneName, latencyHistograms, MessageStore, QueueOps, tokenId, type NewMessage } from '@vmta/queue';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deliveryTestbeds, type DeliveryTestbed } from '../testing/delivery-testbed.js';
import { mta1ConfigText } from '../testing/mta1-config.js';
import type { Receiver, ReceiverOptions } from '../testing/test-smtp-receiver.js';

function configFor(port: number, extra = ''): string {
  // outcomes go to the accounting stream only when an <acct-file> reads them
  return mta1ConfigText({ top: ['host-name mta.example.test'], accounting: true, domain: [`  smtp-hosts [127.0.0.10]:${port}`, '  retry-after 1h', '  retry-recipients-after 1h', extra] });
}

function message(recipients: string[]): NewMessage {
  return {
    mailFrom: 'sender@example.org',
    recipients: recipients.map((address) => ({ address, domain: address.split('@')[1]! })),
    body: Buffer.from('Subject: delivery test\r\nFrom: sender@example.org\r\n\r\nhello\r\n..leading dot\r\n'),
    vmta: 'mta1',
    source: { ip: '127.0.0.9', listener: '127.0.0.1:2525', heloName: 'client.test' },
    receivedAt: Date.now(),
  };
}

/**
 * The distinct states of a queue's connection tokens (slots 0-19), looked up afresh: a backlog spreads over
 * several slots, and which slot ends up asleep depends on timing; between two runs a token can be briefly gone.
 */
async function tokenStates(store: MessageStore, queue: string): Promise<string[]> {
  const lane = store.dispatcher.lane('mta1');
  const states = await Promise.all(Array.from({ length: 20 }, async (_, slot) => (await lane.getJob(tokenId(queue, slot)))?.getState()));
  return [...new Set(states.filter((s): s is NonNullable<typeof s> => s !== undefined))].sort();
}

describe('delivery of queued mail', () => {
  const testbed = deliveryTestbeds(afterEach);
  let bed: DeliveryTestbed;
  let redis: Redis;
  let receiver: Receiver | undefined;

  async function setup(receiverOptions: ReceiverOptions, extra = '') {
    bed = await testbed();
    redis = bed.redis;
    receiver = await bed.receiver(receiverOptions);
    const delivery = await bed.deliver(configFor(receiver.port, extra), { concurrency: 4 });
    return { store: bed.store, ops: bed.ops, prefix: bed.prefix, delivery };
  }

  it('delivers from the VMTA source address with its EHLO name, then forgets the message', async () => {
    const { store, ops } = await setup({ host: '127.0.0.10', startTls: true });
    const { id } = await store.enqueue(message(['a@one.example', 'b@one.example', 'c@two.example']));
    await expect.poll(() => receiver!.messages.length, { timeout: 20_000 }).toBe(2);
    expect(receiver!.connections.every((c) => c.remoteAddress === '127.0.0.2' && c.heloName === 'mta1.example.test')).toBe(true);
    expect(receiver!.connections.every((c) => c.secure)).toBe(true);
    expect(receiver!.messages.flatMap((m) => m.to).sort()).toEqual(['a@one.example', 'b@one.example', 'c@two.example']);
    expect(receiver!.messages[0]!.body).toBe(message([]).body.toString());
    await expect.poll(() => store.get(id), { timeout: 10_000 }).toBeUndefined();
    expect((await ops.state('one.example/mta1')).delivered).toBe(2);
    expect((await latencyHistograms(redis, store.keys)).get('mta1')?.count).toBe(3);
    const records = (await redis.xrange(store.keys.accounting(), '-', '+')).map(([, f]) => f);
    const d = records.filter((f) => f[1] === 'd');
    expect(d).toHaveLength(3);
    expect(d[0]).toContain('TLSv1.3');
  });

  it('bounces a 5xx recipient, defers a 4xx one until retry-recipients-after, delivers the rest', async () => {
    const { store, ops } = await setup({
      host: '127.0.0.10',
      startTls: false,
      rcptReply: (a) => (a.startsWith('gone') ? [550, '5.1.1 no such user'] : a.startsWith('full') ? [452, '4.2.2 mailbox full'] : undefined),
    });
    const { id } = await store.enqueue(message(['ok@mix.example', 'gone@mix.example', 'full@mix.example']));
    await expect.poll(async () => (await store.get(id))?.recipients.map((r) => r.state), { timeout: 20_000 }).toEqual(['delivered', 'bounced', 'queued']);
    const next = await ops.nextDue('mix.example/mta1');
    expect(next).toBeGreaterThan(Date.now() + 50 * 60_000);
    const token = await store.dispatcher.lane('mta1').getJob(tokenId('mix.example/mta1', 0));
    await expect.poll(async () => token && (await token.getState()), { timeout: 10_000 }).toBe('delayed');
    expect((await ops.state('mix.example/mta1')).mode).toBe('normal');
    // the sender gets a DSN for the bounced recipient, from the null sender, delivered like any mail
    await expect.poll(() => receiver!.messages.find((m) => m.from === '' && m.to.includes('sender@example.org')), { timeout: 20_000 }).toBeDefined();
    const dsn = receiver!.messages.find((m) => m.from === '')!;
    expect(dsn.body).toContain('multipart/report');
    expect(dsn.body).toContain('Final-Recipient: rfc822; gone@mix.example');
    expect(dsn.body).toContain('Status: 5.1.1');
    expect(dsn.body).not.toContain('Final-Recipient: rfc822; full@mix.example');
  });

  it('puts the queue in retry mode when the host refuses connections, and holds the mail', async () => {
    const { store, ops } = await setup({ host: '127.0.0.10', startTls: false });
    await receiver!.close();
    const { id } = await store.enqueue(message(['x@down.example']));
    await expect.poll(async () => (await ops.state('down.example/mta1')).mode, { timeout: 20_000 }).toBe('retry');
    const s = await ops.state('down.example/mta1');
    expect(s.failures).toBe(1);
    expect(s.retryAt).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(await store.queued('down.example/mta1')).toEqual([id]);
    const token = await store.dispatcher.lane('mta1').getJob(tokenId('down.example/mta1', 0));
    await expect.poll(async () => token && (await token.getState()), { timeout: 10_000 }).toBe('delayed');
    // One tq record (transient queue) for the failure of the whole queue, no t record: the mail was not tried.
    const entries = (await redis.xrange(store.keys.accounting(), '-', '+')).map(([, f]) => Object.fromEntries(f.flatMap((v, i) => (i % 2 === 0 ? [[v, f[i + 1]!]] : []))));
    expect(entries.map((e) => e.type)).toEqual(['r', 'tq']);
    expect(Object.keys(entries[1]!)).toEqual(['type', 'timeLogged', 'dsnStatus', 'dsnDiag', 'dsnMta', 'dlvType', 'dlvSourceIp', 'dlvDestinationIp', 'vmta', 'queue']);
    expect(entries[1]).toMatchObject({ dsnStatus: '4.4.1', dsnMta: '127.0.0.10 (127.0.0.10)', dlvType: 'smtp', dlvSourceIp: '127.0.0.2', dlvDestinationIp: '127.0.0.10', vmta: 'mta1', queue: 'down.example/mta1' });
    expect(entries[1]!.dsnDiag).toMatch(/^refused: /);
  });

  it('bounces mail older than bounce-after even while its queue is paused', async () => {
    const { store, ops } = await setup({ host: '127.0.0.10', startTls: false }, '  bounce-after 1h');
    await ops.pause('old.example/mta1');
    const { id } = await store.enqueue({ ...message(['x@old.example', 'y@old.example']), receivedAt: Date.now() - 2 * 3_600_000 });
    await expect.poll(async () => (await store.get(id))?.recipients.map((r) => r.state) ?? 'gone', { timeout: 20_000 }).toEqual('gone');
    expect((await ops.state('old.example/mta1')).bounced).toBe(2);
    expect(receiver!.messages.some((m) => m.to.includes('x@old.example'))).toBe(false);
    // the DSN to the sender goes out through its own queue, which is not paused
    await expect.poll(() => receiver!.messages.find((m) => m.from === '')?.body ?? '', { timeout: 20_000 }).toContain('Status: 4.4.7');
  });

  it('bounces mail of a paused queue that arrives after its first sweep, by later sweeps of the re-scored queue', async () => {
    const { store, ops } = await setup({ host: '127.0.0.10', startTls: false }, '  bounce-after 2s');
    const q = 'later.example/mta1';
    await ops.pause(q);
    // A's token finds the pause and schedules the sweep at A + 2 s; B and C wake nothing (the paused queue holds mail).
    const a = await store.enqueue(message(['a@later.example']));
    await new Promise((r) => setTimeout(r, 1_000));
    const b = await store.enqueue(message(['b@later.example']));
    await expect.poll(() => store.get(a.id), { timeout: 10_000 }).toBeUndefined();
    const c = await store.enqueue(message(['c@later.example']));
    expect(await store.get(b.id)).toBeDefined();
    await expect.poll(() => store.get(b.id), { timeout: 10_000 }).toBeUndefined();
    await expect.poll(() => store.get(c.id), { timeout: 10_000 }).toBeUndefined();
    expect((await ops.state(q)).bounced).toBe(3);
    expect(await store.dispatcher.tokenJob({ queue: q, vmta: 'mta1' })).toBeUndefined();
    expect(receiver!.messages.some((m) => m.to.some((to) => to.endsWith('@later.example')))).toBe(false);
  });

  it('keeps a queue in the bounce-after index when its first message came while the sweep that emptied it was finishing', async () => {
    const { store, ops, prefix } = await setup({ host: '127.0.0.10', startTls: false }, '  bounce-after 2s');
    const q = 'race.example/mta1';
    await ops.pause(q);
    const a = await store.enqueue(message(['a@race.example']));
    // A listener whose first message of the (now empty) queue comes just before the sweep re-scores it; no host takes its token.
    const listenerSide = new MessageStore(redis, { prefix, bounceAfter: () => 2_000 });
    vi.spyOn(listenerSide.dispatcher, 'wake').mockResolvedValue(undefined);
    let b: string | undefined;
    const rescore = ExpiryIndex.prototype.rescore;
    const spy = vi.spyOn(ExpiryIndex.prototype, 'rescore').mockImplementation(async function (this: ExpiryIndex, queue, ...rest) {
      if (queue === q && b === undefined && (await ops.oldest(q)) === undefined) b = (await listenerSide.enqueue(message(['b@race.example']))).id;
      return rescore.call(this, queue, ...rest);
    });
    try {
      await expect.poll(() => store.get(a.id), { timeout: 10_000 }).toBeUndefined();
      await expect.poll(() => b, { timeout: 5_000 }).toBeDefined();
      await expect.poll(() => store.get(b!), { timeout: 10_000 }).toBeUndefined();
      expect((await ops.state(q)).bounced).toBe(2);
      // Empty again: out of the index.
      await expect.poll(() => ops.expiry.dueAt(q), { timeout: 5_000 }).toBeUndefined();
    } finally {
      spy.mockRestore();
      await listenerSide.dispatcher.close();
    }
  });

  it('costs nothing while its queue is paused: the token goes away instead of coming back', async () => {
    const { store, ops, prefix } = await setup({ host: '127.0.0.10', startTls: false });
    await ops.pause('idle.example/mta1');
    const events = new QueueEvents(laneName('mta1'), { connection: { url: bed.t.url }, prefix: new Keys(prefix).bullPrefix() });
    await events.waitUntilReady();
    let runs = 0;
    events.on('completed', ({ jobId }) => {
      if (jobId === tokenId('idle.example/mta1', 0)) runs++;
    });
    try {
      await store.enqueue(message(['x@idle.example']));
      await expect.poll(() => runs, { timeout: 10_000 }).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(runs).toBeLessThanOrEqual(2);
      expect(receiver!.messages).toHaveLength(0);
      // resume brings it back
      await ops.resume('idle.example/mta1');
      await store.dispatcher.wake({ queue: 'idle.example/mta1', domain: 'idle.example', vmta: 'mta1' });
      await expect.poll(() => receiver!.messages.length, { timeout: 20_000 }).toBe(1);
    } finally {
      await events.close();
    }
  });

  it('keeps a queue paused that the operator paused while its connection was sending: the success that ends retry mode does not release it', async () => {
    const { store, ops } = await setup({ host: '127.0.0.10', startTls: false, replyDelayMs: 1_500 });
    const q = 'pausedlate.example/mta1';
    // a queue that failed once and whose retry time has come: the next success leaves retry mode
    await ops.enterRetry(q, Date.now() - 1);
    const first = await store.enqueue(message(['a@pausedlate.example']));
    // the receiver has the message and holds its reply: the operator pauses the queue now
    await expect.poll(() => receiver!.messages.length, { timeout: 20_000 }).toBe(1);
    await ops.pause(q);
    await expect.poll(() => store.get(first.id), { timeout: 20_000 }).toBeUndefined();
    // the run leaves retry mode once the message is finished (failures back to 0)
    await expect.poll(async () => (await ops.state(q)).failures, { timeout: 10_000 }).toBe(0);
    expect(await ops.state(q)).toMatchObject({ mode: 'paused', delivered: 1 });
    // and it holds the next mail until resume
    await store.enqueue(message(['b@pausedlate.example']));
    await new Promise((r) => setTimeout(r, 2_000));
    expect(receiver!.messages).toHaveLength(1);
    await ops.resume(q);
    await store.dispatcher.wake({ queue: q, domain: 'pausedlate.example', vmta: 'mta1' });
    await expect.poll(() => receiver!.messages.length, { timeout: 20_000 }).toBe(2);
  });

  it('writes no accounting records when no <acct-file> would read them', async () => {
    bed = await testbed();
    const { store, redis, prefix } = bed;
    receiver = await bed.receiver({ host: '127.0.0.10', startTls: false });
    const config = loadConfigText(configFor(receiver.port).replace('<acct-file acct.csv>\n</acct-file>\n', ''));
    expect(config.acctFiles).toHaveLength(0);
    await bed.deliver(config, { concurrency: 2 });
    // the test's own store writes the r record, as a listener with an <acct-file> would
    await store.enqueue(message(['a@noacct.example']));
    await expect.poll(() => receiver!.messages.length, { timeout: 20_000 }).toBe(1);
    await expect.poll(async () => (await new QueueOps(redis, prefix).state('noacct.example/mta1')).delivered, { timeout: 10_000 }).toBe(1);
    const types = (await redis.xrange(store.keys.accounting(), '-', '+')).map(([, f]) => f[1]);
    expect(types).toEqual(['r']);
  });

  it('bounces mail older than bounce-after while its queue is in retry mode', async () => {
    const { store, ops } = await setup({ host: '127.0.0.10', startTls: false }, '  bounce-after 3s');
    await receiver!.close();
    const { id } = await store.enqueue(message(['x@stuck.example']));
    await expect.poll(async () => (await ops.state('stuck.example/mta1')).mode, { timeout: 20_000 }).toBe('retry');
    expect((await ops.state('stuck.example/mta1')).retryAt).toBeGreaterThan(Date.now() + 50 * 60_000);
    await expect.poll(async () => (await ops.state('stuck.example/mta1')).bounced, { timeout: 20_000 }).toBe(1);
    expect((await ops.state('stuck.example/mta1')).mode).toBe('retry');
    expect(await store.get(id)).toBeUndefined();
  });

  it('keeps to max-msg-rate: one message an hour means one goes now and the rest wait, token asleep', async () => {
    const { store } = await setup({ host: '127.0.0.10', startTls: false }, '  max-msg-rate 1/h');
    const ids = [];
    for (const r of ['a', 'b', 'c']) ids.push((await store.enqueue(message([`${r}@slow.example`]))).id);
    await expect.poll(() => receiver!.messages.length, { timeout: 20_000 }).toBe(1);
    await expect.poll(() => tokenStates(store, 'slow.example/mta1'), { timeout: 10_000 }).toEqual(['delayed']);
    expect((await store.queued('slow.example/mta1')).length).toBe(2);
    expect(receiver!.messages.length).toBe(1);
  });

  it('keeps to the max-smtp-out of a virtual MTA across its queues', async () => {
    const { store, delivery } = await setup({ host: '127.0.0.10', startTls: false }, '  max-smtp-out 5');
    // the VMTA allows no connection at all: nothing may go out, every queue waits
    await delivery.close();
    const config = loadConfigText(configFor(receiver!.port, '').replace('smtp-source-host 127.0.0.2 mta1.example.test', 'smtp-source-host 127.0.0.2 mta1.example.test\n  max-smtp-out 0'));
    await bed.deliver(config, { concurrency: 4 });
    await store.enqueue(message(['a@v1.example', 'b@v2.example']));
    await expect.poll(() => tokenStates(store, 'v1.example/mta1'), { timeout: 10_000 }).toEqual(['delayed']);
    expect(receiver!.connections.length).toBe(0);
  });
});
