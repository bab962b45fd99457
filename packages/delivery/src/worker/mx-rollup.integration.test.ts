/**
 * MX rollup with real DNS packets (test DNS server) and real SMTP sessions: domains whose lowest MX
 * is one provider host share the queue provider.rollup/mta1 and its max-smtp-out (counted as
 * concurrent sessions at the receiver); disable-mx-rollup keeps a domain in its own queue.
 */
import type { MessageStore } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { DnsResolver } from '../dns/resolver.js';
import { deliveryTestbeds, type SlowReceiver } from '../testing/delivery-testbed.js';
import { startTestDnsServer, type TestDnsServer } from '../testing/test-dns-server.js';

const HOST = '127.0.0.10';
const SHARED = 2;

const message = (to: string, i: number) => testMessage(to, { mailFrom: '', body: Buffer.from(`Subject: rollup ${i}\r\n\r\nhello\r\n`) });

const zone = {
  'a.example': { MX: [{ preference: 10, exchange: 'mx1.provider.test' }, { preference: 20, exchange: 'backup.other.test' }] },
  'b.example': { MX: [{ preference: 5, exchange: 'MX1.provider.test.' }] },
  'c.example': { MX: [{ preference: 10, exchange: 'mx1.provider.test' }] },
  'mx1.provider.test': { A: [HOST] },
  'backup.other.test': { A: ['127.0.0.11'] },
};

describe('MX rollup', () => {
  const testbed = deliveryTestbeds(afterEach);
  let dns: TestDnsServer;
  let store: MessageStore;
  let receiver: SlowReceiver | undefined;

  async function start(extra: string[], rollupList = true) {
    const bed = await testbed();
    store = bed.store;
    dns = bed.closeWith(await startTestDnsServer({ address: '127.0.0.1', zone }));
    receiver = await bed.slowReceiver(20, HOST);
    const text = [
      '<virtual-mta mta1>',
      '  smtp-source-host 127.0.0.2 mta1.example.test',
      '</virtual-mta>',
      ...(rollupList ? ['<mx-rollup-list>', '  mx mx1.provider.test provider.rollup', '</mx-rollup-list>'] : []),
      '<domain *>',
      `  default-smtp-port ${receiver.port}`,
      '  max-smtp-out 10',
      '  max-msg-per-connection 5',
      '</domain>',
      '<domain provider.rollup>',
      `  max-smtp-out ${SHARED}`,
      '</domain>',
      ...extra,
    ].join('\n');
    const resolver = new DnsResolver({ servers: [dns.server], timeoutMs: 500, tries: 1, families: [4] });
    await bed.deliver(text, { concurrency: 8, resolver });
    return bed.ops;
  }

  it('two domains with the same lowest MX share one queue and its max-smtp-out', { timeout: 60_000 }, async () => {
    const ops = await start([]);
    const per = 40;
    for (let i = 0; i < per; i++) {
      await store.enqueue(message(`a${i}@a.example`, i));
      await store.enqueue(message(`b${i}@b.example`, i));
    }
    await expect.poll(() => receiver!.received(), { timeout: 45_000, interval: 200 }).toBe(2 * per);
    // The receiver counts a message before its reply: the outcomes are polled below.
    // Never more sessions at the shared MX than the rolled-up queue allows (each domain alone allows 10).
    expect(receiver!.peak()).toBeLessThanOrEqual(SHARED);
    await expect.poll(async () => (await ops.stats('provider.rollup/mta1')).delivered, { timeout: 10_000 }).toBe(2 * per);
    expect((await ops.stats('a.example/mta1')).delivered ?? 0).toBe(0);
    expect((await ops.stats('b.example/mta1')).delivered ?? 0).toBe(0);
    // The decision is recorded for the listener.
    const map = await store.rollups.lookup(['a.example', 'b.example'], Date.now());
    expect(Object.fromEntries(map)).toEqual({ 'a.example': 'provider.rollup', 'b.example': 'provider.rollup' });
  });

  it('rolls up a domain without MX by its implicit MX, the domain itself (RFC 5321 §5.1)', { timeout: 60_000 }, async () => {
    const ops = await start([]);
    // mx1.provider.test has an A record and no MX: its mail goes to that host, as a.example's does.
    for (let i = 0; i < 10; i++) {
      await store.enqueue(message(`n${i}@mx1.provider.test`, i));
      await store.enqueue(message(`a${i}@a.example`, i));
    }
    await expect.poll(() => receiver!.received(), { timeout: 45_000, interval: 200 }).toBe(20);
    await expect.poll(async () => (await ops.stats('provider.rollup/mta1')).delivered, { timeout: 10_000 }).toBe(20);
    expect((await ops.stats('mx1.provider.test/mta1')).delivered ?? 0).toBe(0);
    expect(receiver!.peak()).toBeLessThanOrEqual(SHARED);
    expect(Object.fromEntries(await store.rollups.lookup(['mx1.provider.test'], Date.now()))).toEqual({ 'mx1.provider.test': 'provider.rollup' });
  });

  it('drops the recorded rollup of a domain whose MX no longer matches, and delivers it in its own queue', { timeout: 60_000 }, async () => {
    const ops = await start([]);
    await store.rollups.record('d.example', 'provider.rollup', Date.now() + 60_000);
    dns.setZone({ ...zone, 'd.example': { MX: [{ preference: 10, exchange: 'mx1.provider.test' }, { preference: 10, exchange: 'backup.other.test' }] } });
    await store.enqueue(message('x@d.example', 0));
    await expect.poll(() => receiver!.received(), { timeout: 45_000, interval: 200 }).toBe(1);
    await expect.poll(async () => (await ops.stats('d.example/mta1')).delivered, { timeout: 10_000 }).toBe(1);
    expect((await store.rollups.lookup(['d.example'], Date.now())).has('d.example')).toBe(false);
  });

  it('disable-mx-rollup keeps a domain in its own queue', { timeout: 60_000 }, async () => {
    const ops = await start(['<domain c.example>', '  disable-mx-rollup yes', '</domain>']);
    for (let i = 0; i < 10; i++) {
      await store.enqueue(message(`a${i}@a.example`, i));
      await store.enqueue(message(`c${i}@c.example`, i));
    }
    await expect.poll(() => receiver!.received(), { timeout: 45_000, interval: 200 }).toBe(20);
    await expect.poll(async () => (await ops.stats('provider.rollup/mta1')).delivered, { timeout: 10_000 }).toBe(10);
    await expect.poll(async () => (await ops.stats('c.example/mta1')).delivered, { timeout: 10_000 }).toBe(10);
    expect((await store.rollups.lookup(['c.example'], Date.now())).has('c.example')).toBe(false);
    expect(Object.fromEntries(await store.rollups.lookup(['a.example'], Date.now()))).toEqual({ 'a.example': 'provider.rollup' });
  });

  it('gives the mail of a rolled-up queue whose rollup a reload dropped back to its domain queues', { timeout: 60_000 }, async () => {
    // Mail queued in provider.rollup/mta1 while the list existed; the running config no longer has it.
    const ops = await start([], false);
    const rolled = { queueDomains: new Map([['a.example', 'provider.rollup'], ['b.example', 'provider.rollup']]) };
    for (let i = 0; i < 10; i++) await store.enqueue(message(`a${i}@a.example`, i), undefined, rolled);
    // A message with a recipient in each domain: each part goes to its own domain's queue.
    for (let i = 0; i < 5; i++) await store.enqueue(testMessage([`x${i}@a.example`, `y${i}@b.example`], { mailFrom: '' }), undefined, rolled);
    // Enqueued in provider.rollup/mta1 (queueDomains): only the move back lets a.example's and b.example's queues deliver them.
    await expect.poll(() => receiver!.received(), { timeout: 45_000, interval: 200 }).toBe(20);
    await expect.poll(async () => (await ops.stats('a.example/mta1')).delivered, { timeout: 10_000 }).toBe(15);
    await expect.poll(async () => (await ops.stats('b.example/mta1')).delivered, { timeout: 10_000 }).toBe(5);
    const gone = await ops.stats('provider.rollup/mta1');
    expect({ queued: gone.queued, inflight: gone.inflight, delivered: gone.delivered ?? 0, bounced: gone.bounced ?? 0 }).toEqual({ queued: 0, inflight: 0, delivered: 0, bounced: 0 });
  });
});
