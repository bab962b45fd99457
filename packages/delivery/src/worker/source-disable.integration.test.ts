/**
 * Disabled source IPs and IP warm-up end to end: a VMTA with two source IPs (127.0.0.2, .3) sends
 * to a test receiver (127.0.0.10) that answers by the connection's source address. The list of
 * disabled sources and the daily cold count live in Redis and two delivery processes obey them.
 * Counts are taken at the receiver: every message arrives once, none is lost or bounced.
 */
import { Redis } from 'ioredis';
import { loadConfigText, type VmtaConfig } from '@vmta/config';
import { ALL_QUEUES, DisabledSources, MessageStore, type NewMessage } from '@vmta/queue';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver, type ReceiverOptions } from '../testing/test-smtp-receiver.js';
import { startTestDeliveries } from '../testing/delivery-processes.js';
import type { RunningDelivery } from './delivery-service.js';
import { REFRESH_MS } from './source-gate.js';

const SENDER = 'sender@sender.test';
const POLL = { timeout: 40_000, interval: 100 };
const QUEUE = 'block.test/mta1';

function message(address: string): NewMessage {
  return {
    mailFrom: SENDER,
    recipients: [{ address, domain: address.split('@')[1]! }],
    body: Buffer.from(`Subject: sources\r\nFrom: ${SENDER}\r\n\r\nhello\r\n`),
    vmta: 'mta1',
    source: { ip: '127.0.0.9', listener: '127.0.0.1:2525', heloName: 'client.test' },
    receivedAt: Date.now(),
  };
}

describe('disabled source IPs and IP warm-up', () => {
  let t: TestRedis | undefined;
  let redis: Redis | undefined;
  let receiver: Receiver | undefined;
  let deliveries: RunningDelivery[] = [];
  let store: MessageStore | undefined;

  afterEach(async () => {
    await Promise.all(deliveries.map((d) => d.close()));
    await store?.dispatcher.close();
    await receiver?.close();
    await t?.cleanup();
    redis?.disconnect();
    deliveries = [];
    receiver = undefined;
    store = undefined;
    redis = undefined;
    t = undefined;
  });

  async function setup(s: { receiver?: Partial<ReceiverOptions>; vmtas: string[]; domain?: string[]; patterns?: string[]; processes?: number }) {
    t = await getTestRedis();
    redis = new Redis(t.url);
    receiver = await startReceiver({ host: '127.0.0.10', startTls: false, ...s.receiver });
    const text = [
      'host-name mta.example.test',
      ...s.vmtas,
      '<smtp-pattern-list sources>',
      ...(s.patterns ?? []).map((p) => `  reply ${p}`),
      '</smtp-pattern-list>',
      '<domain *>',
      `  smtp-hosts [127.0.0.10]:${receiver.port}`,
      '  retry-after 1h',
      '  retry-recipients-after 1s',
      '  smtp-pattern-list sources',
      ...(s.domain ?? []).map((l) => `  ${l}`),
      '</domain>',
    ].join('\n');
    const config: VmtaConfig = loadConfigText(text);
    const prefix = t.prefix.slice(0, -1);
    store = new MessageStore(redis, { prefix });
    const started = await startTestDeliveries({ config, redisUrl: t.url, prefix, ...(s.processes ? { processes: s.processes } : {}) });
    deliveries = started.deliveries;
    const { events } = started;
    const rule = (n: number) => `${config.file}:${text.split('\n').indexOf(`  reply ${s.patterns![n]}`) + 1}`;
    return { store, sources: new DisabledSources(redis, prefix), events, rule, receiver };
  }

  const TWO_IPS = ['<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 a.mta1.test', '  smtp-source-host 127.0.0.3 b.mta1.test', '</virtual-mta>'];

  async function enqueueAll(s: MessageStore, addresses: string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const a of addresses) ids.push((await s.enqueue(message(a))).id);
    return ids;
  }
  const allGone = async (s: MessageStore, ids: string[]) => (await Promise.all(ids.map((id) => s.get(id)))).every((m) => m === undefined);
  const recipientsFrom = (r: Receiver, ip?: string) => r.messages.filter((m) => ip === undefined || m.clientIp === ip).flatMap((m) => m.to).filter((a) => a.endsWith('@block.test'));
  const users = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}${i}@block.test`);

  it('a rule with disable-source-ip moves the queue to the other IP, and reenable-after brings the IP back', async () => {
    let blocking = true;
    const { store, sources, events, rule, receiver } = await setup({
      vmtas: TWO_IPS,
      processes: 2,
      receiver: { rcptReply: (_a, ip) => (blocking && ip === '127.0.0.2' ? [421, '4.7.0 [TS03] blocked ip 127.0.0.2'] : undefined) },
      patterns: ['/blocked ip/ disable-source-ip reenable-after=4s'],
      domain: ['disabled-source-ip-notify ops@notice.test'],
    });
    const first = users('a', 12);
    const ids = await enqueueAll(store, first);
    await expect.poll(async () => (await sources.list(Date.now())).map((e) => e.ip), POLL).toEqual(['127.0.0.2']);
    const [entry] = await sources.list(Date.now());
    expect(entry).toMatchObject({ queue: QUEUE, rule: rule(0), reason: expect.stringContaining('blocked ip') });
    expect(entry!.until! - entry!.since).toBe(4_000);
    await expect.poll(() => allGone(store, ids), POLL).toBe(true);
    // Everything was delivered once, all of it from the IP still in use.
    expect(recipientsFrom(receiver).sort()).toEqual([...first].sort());
    expect(recipientsFrom(receiver, '127.0.0.2')).toEqual([]);
    expect(events.filter((e) => e.event === 'source-disabled').length).toBeGreaterThanOrEqual(1);
    // disabled-source-ip-notify: a notice is queued and delivered like any mail.
    await expect.poll(() => receiver.messages.filter((m) => m.to.includes('ops@notice.test')).length, POLL).toBeGreaterThanOrEqual(1);
    const notice = receiver.messages.find((m) => m.to.includes('ops@notice.test'))!;
    expect(notice.body).toContain(`Subject: source 127.0.0.2 disabled for ${QUEUE}`);
    expect(notice.body).toContain(`(rule ${rule(0)})`);

    // The receiver takes 127.0.0.2 again; once reenable-after passed, the IP is used again. A run that
    // is still going reads the list at most once a second (REFRESH_MS), so wait that much more: a
    // lingering run could otherwise carry the whole second batch from the other IP.
    blocking = false;
    await expect.poll(() => Date.now() > entry!.until! + REFRESH_MS + 100, POLL).toBe(true);
    const second = users('b', 12);
    const more = await enqueueAll(store, second);
    await expect.poll(() => allGone(store, more), POLL).toBe(true);
    expect(recipientsFrom(receiver).sort()).toEqual([...first, ...second].sort());
    expect(recipientsFrom(receiver, '127.0.0.2').length).toBeGreaterThan(0);
    expect(await sources.list(Date.now())).toEqual([]);
    expect(events.filter((e) => e.event === 'source-enabled' && e.by === 'reenable-after')).toHaveLength(1);
    await expect.poll(() => receiver.messages.filter((m) => m.body.includes('Subject: source 127.0.0.2 enabled')).length, POLL).toBe(1);
  });

  it('a greeting that matches disable-source-ip moves the mail to the other IP at once, without retry mode', async () => {
    const { store, sources, receiver } = await setup({
      vmtas: TWO_IPS,
      receiver: { greeting: (ip) => (ip === '127.0.0.2' ? [421, '4.7.1 blocked ip 127.0.0.2'] : undefined) },
      patterns: ['/blocked ip/ disable-source-ip'],
    });
    // retry-after is 1h: had the failed greeting put the queue into retry mode, nothing would arrive.
    const addresses = users('g', 10);
    const ids = await enqueueAll(store, addresses);
    await expect.poll(() => allGone(store, ids), POLL).toBe(true);
    expect(recipientsFrom(receiver, '127.0.0.3').sort()).toEqual([...addresses].sort());
    expect(await sources.list(Date.now())).toEqual([expect.objectContaining({ ip: '127.0.0.2', queue: QUEUE, reason: expect.stringContaining('blocked ip') })]);
    expect((await sources.list(Date.now()))[0]!.until).toBeUndefined();
  });

  it('with every source disabled the mail waits, then goes once a source is enabled again', async () => {
    const { store, sources, receiver } = await setup({ vmtas: TWO_IPS });
    for (const ip of ['127.0.0.2', '127.0.0.3']) await sources.disable({ ip, queue: ALL_QUEUES, reason: 'test', rule: '', since: Date.now() });
    const addresses = users('w', 5);
    const ids = await enqueueAll(store, addresses);
    // Two seconds of a queue that may not send: nothing arrives, nothing is bounced or dropped.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(receiver.messages).toEqual([]);
    expect((await Promise.all(ids.map((id) => store.get(id)))).every((m) => m?.recipients[0]?.state === 'queued')).toBe(true);
    await sources.enable('127.0.0.3', ALL_QUEUES);
    await expect.poll(() => allGone(store, ids), POLL).toBe(true);
    expect(recipientsFrom(receiver).sort()).toEqual([...addresses].sort());
    expect(recipientsFrom(receiver, '127.0.0.3').sort()).toEqual([...addresses].sort());
  });

  it('IP warm-up: two processes send the first N messages of the day from the cold VMTA, the rest from the warm one', async () => {
    const { store, receiver } = await setup({
      vmtas: ['<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 warm.test', '</virtual-mta>', '<virtual-mta mta1-cold>', '  smtp-source-host 127.0.0.3 cold.test', '</virtual-mta>'],
      domain: ['max-cold-virtual-mta-msg 5/d', 'max-msg-per-connection 2'],
      processes: 2,
    });
    const addresses = users('c', 20);
    const ids = await enqueueAll(store, addresses);
    await expect.poll(() => allGone(store, ids), POLL).toBe(true);
    expect(recipientsFrom(receiver).sort()).toEqual([...addresses].sort());
    expect(recipientsFrom(receiver, '127.0.0.3')).toHaveLength(5);
    expect(recipientsFrom(receiver, '127.0.0.2')).toHaveLength(15);
    const more = await enqueueAll(store, users('d', 4));
    await expect.poll(() => allGone(store, more), POLL).toBe(true);
    // The day's cold count is spent: later mail of the day leaves warm.
    expect(recipientsFrom(receiver, '127.0.0.3')).toHaveLength(5);
  });
});
