/**
 * End-to-end delivery scenarios: real Redis, real DNS packets (our test DNS server on 127.0.0.53),
 * real SMTP between 127.0.0.x addresses. No timing assertions: every outcome is polled for.
 */
import { loadConfigText, VmtaSelector, type VmtaConfig } from '@vmta/config';
import { Keys, type NewMessage } from '@vmta/queue';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryTestbeds } from '../testing/delivery-testbed.js';
import { startTestDnsServer, type TestDnsServer, type TestZone } from '../testing/test-dns-server.js';
import type { ReceiverOptions } from '../testing/test-smtp-receiver.js';

const SENDER = 'sender@sender.test';
const POLL = { timeout: 20_000 };

/** The zone every test starts from: mx2.dest.test is the receiver, mx1.dest.test has nobody listening. */
const BASE_ZONE: TestZone = {
  'mx1.dest.test': { A: ['127.0.0.11'] },
  'mx2.dest.test': { A: ['127.0.0.10'] },
  // the sender's domain routes to the receiver, so DSNs can be delivered
  'sender.test': { MX: [{ preference: 10, exchange: 'mx2.dest.test' }] },
};

function message(recipients: string[], overrides: Partial<NewMessage> = {}): NewMessage {
  return {
    mailFrom: SENDER,
    recipients: recipients.map((address) => ({ address, domain: address.split('@')[1]! })),
    body: Buffer.from(`Subject: scenario\r\nFrom: ${SENDER}\r\n\r\nhello\r\n`),
    vmta: 'mta1',
    source: { ip: '127.0.0.9', listener: '127.0.0.1:2525', heloName: 'client.test' },
    receivedAt: Date.now(),
    ...overrides,
  };
}

/** XRANGE fields as an object. */
function fieldsOf(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

describe('delivery scenarios through our DNS server', () => {
  const testbed = deliveryTestbeds(afterEach);
  let dns: TestDnsServer | undefined;

  interface Setup {
    zone?: TestZone;
    receiver?: Partial<ReceiverOptions>;
    /** Stanzas and settings; gets the DNS port and the receiver port. */
    config: (ports: { dns: number; smtp: number }) => string;
  }

  async function setup(s: Setup) {
    const bed = await testbed();
    const { store, ops, redis, prefix } = bed;
    dns = bed.closeWith(await startTestDnsServer({ zone: { ...BASE_ZONE, ...s.zone }, address: '127.0.0.53' }));
    const receiver = await bed.receiver({ host: '127.0.0.10', startTls: false, ...s.receiver });
    // An <acct-file> so that outcomes are written to the accounting stream the tests read.
    const config: VmtaConfig = loadConfigText(`<acct-file acct.csv>\n</acct-file>\n${s.config({ dns: dns.server.port, smtp: receiver.port })}`);
    await bed.deliver(config, { concurrency: 8 });
    return { store, ops, keys: new Keys(prefix), config, receiver, redis };
  }

  /** One VMTA, every domain routed by DNS to the receiver's port. */
  const simpleConfig =
    (domainExtra = '', extraStanzas = '') =>
    ({ dns: dnsPort, smtp }: { dns: number; smtp: number }): string =>
      [
        'host-name mta.example.test',
        `name-server 127.0.0.53:${dnsPort}`,
        '<virtual-mta mta1>',
        '  smtp-source-host 127.0.0.2 mta1.test',
        '</virtual-mta>',
        '<domain *>',
        `  default-smtp-port ${smtp}`,
        '  retry-after 1h',
        '  retry-recipients-after 1s',
        domainExtra,
        '</domain>',
        extraStanzas,
      ].join('\n');

  it('falls back to the second MX when the first one refuses the connection', async () => {
    const { store, ops, receiver } = await setup({
      zone: {
        'dest.test': {
          MX: [
            { preference: 10, exchange: 'mx1.dest.test' },
            { preference: 20, exchange: 'mx2.dest.test' },
          ],
        },
      },
      config: simpleConfig(),
    });
    const { id } = await store.enqueue(message(['user@dest.test']));
    await expect.poll(() => receiver.messages.length, POLL).toBe(1);
    expect(receiver.messages[0]!.to).toEqual(['user@dest.test']);
    expect(receiver.connections.every((c) => c.remoteAddress === '127.0.0.2' && c.heloName === 'mta1.test')).toBe(true);
    await expect.poll(() => store.get(id), POLL).toBeUndefined();
    const state = await ops.state('dest.test/mta1');
    expect(state.delivered).toBe(1);
    expect(state.mode).toBe('normal');
    // both MX hosts were looked up in our DNS server
    expect(dns!.queryCount('dest.test', 'MX')).toBeGreaterThan(0);
    expect(dns!.queryCount('mx1.dest.test', 'A')).toBeGreaterThan(0);
    expect(dns!.queryCount('mx2.dest.test', 'A')).toBeGreaterThan(0);
  });

  it('delivers to the address of a domain that has no MX record (implicit MX)', async () => {
    const { store, ops, receiver } = await setup({ zone: { 'implicit.test': { A: ['127.0.0.10'] } }, config: simpleConfig() });
    const { id } = await store.enqueue(message(['user@implicit.test']));
    await expect.poll(() => receiver.messages.length, POLL).toBe(1);
    expect(receiver.messages[0]!.to).toEqual(['user@implicit.test']);
    await expect.poll(() => store.get(id), POLL).toBeUndefined();
    expect((await ops.state('implicit.test/mta1')).delivered).toBe(1);
    expect(dns!.queryCount('implicit.test', 'MX')).toBeGreaterThan(0);
  });

  it('bounces a null-MX domain with 5.1.10 and an NXDOMAIN domain with 5.1.2, and defers a SERVFAIL domain', async () => {
    const { store, ops, receiver } = await setup({
      zone: {
        'nullmx.test': { MX: [{ preference: 0, exchange: '' }] },
        'nx.test': 'NXDOMAIN',
        'broken.test': 'SERVFAIL',
      },
      config: simpleConfig(),
    });
    const { id } = await store.enqueue(message(['a@nullmx.test', 'b@nx.test', 'c@broken.test']));
    await expect.poll(async () => (await store.get(id))?.recipients.map((r) => r.state), POLL).toEqual(['bounced', 'bounced', 'queued']);
    await expect.poll(async () => (await ops.state('broken.test/mta1')).mode, POLL).toBe('retry');
    expect((await ops.state('broken.test/mta1')).bounced).toBe(0);
    expect((await ops.state('nullmx.test/mta1')).bounced).toBe(1);
    expect((await ops.state('nx.test/mta1')).bounced).toBe(1);
    expect(await store.queued('broken.test/mta1')).toEqual([id]);

    // DSNs to the sender, through the sender domain's own MX
    const dsns = () => receiver.messages.filter((m) => m.from === '' && m.to.includes(SENDER));
    const dsnFor = (rcpt: string) => dsns().find((m) => m.body.includes(`Final-Recipient: rfc822; ${rcpt}`));
    await expect.poll(() => dsnFor('a@nullmx.test')?.body ?? '', POLL).toContain('Status: 5.1.10');
    await expect.poll(() => dsnFor('b@nx.test')?.body ?? '', POLL).toContain('Status: 5.1.2');
    expect(dsns().some((m) => m.body.includes('Final-Recipient: rfc822; c@broken.test'))).toBe(false);
    // nothing was ever sent to the three domains themselves
    expect(receiver.messages.some((m) => m.to.some((a) => !a.endsWith('@sender.test')))).toBe(false);
  });

  it('uses the pool members in turn, each from its own source address with its own EHLO name', async () => {
    const { store, config, receiver } = await setup({
      zone: { 'pool.test': { MX: [{ preference: 10, exchange: 'mx2.dest.test' }] } },
      config: ({ dns: dnsPort, smtp }) =>
        [
          'host-name mta.example.test',
          `name-server 127.0.0.53:${dnsPort}`,
          '<virtual-mta mta1>',
          '  smtp-source-host 127.0.0.2 mta1.test',
          '</virtual-mta>',
          '<virtual-mta mta2>',
          '  smtp-source-host 127.0.0.3 mta2.test',
          '</virtual-mta>',
          '<virtual-mta-pool pool1>',
          '  virtual-mta mta1',
          '  virtual-mta mta2',
          '</virtual-mta-pool>',
          '<domain *>',
          `  default-smtp-port ${smtp}`,
          '  retry-after 1h',
          '  retry-recipients-after 1s',
          '</domain>',
        ].join('\n'),
    });
    const selector = new VmtaSelector(config);
    const picks: string[] = [];
    for (let i = 0; i < 4; i++) {
      const vmta = selector.pick('pool1')!;
      picks.push(vmta);
      await store.enqueue(message([`u${i}@pool.test`], { vmta, vmtaPool: 'pool1' }));
    }
    expect(picks).toEqual(['mta1', 'mta2', 'mta1', 'mta2']);
    await expect.poll(() => receiver.messages.length, POLL).toBe(4);
    const seen = new Set(receiver.connections.map((c) => `${c.remoteAddress} ${c.heloName}`));
    expect([...seen].sort()).toEqual(['127.0.0.2 mta1.test', '127.0.0.3 mta2.test']);
    expect(receiver.messages.flatMap((m) => m.to).sort()).toEqual(['u0@pool.test', 'u1@pool.test', 'u2@pool.test', 'u3@pool.test']);
  });

  it('never sends in plaintext under require-starttls: retry mode, then a 4.4.7 bounce after bounce-after', async () => {
    const { store, ops, receiver } = await setup({
      zone: { 'tls.test': { MX: [{ preference: 10, exchange: 'mx2.dest.test' }] } },
      receiver: { startTls: false },
      config: simpleConfig('  require-starttls yes\n  bounce-after 3s', '<domain sender.test>\n  require-starttls no\n</domain>'),
    });
    const { id } = await store.enqueue(message(['x@tls.test']));
    await expect.poll(async () => (await ops.state('tls.test/mta1')).mode, POLL).toBe('retry');
    await expect.poll(async () => (await ops.state('tls.test/mta1')).bounced, POLL).toBe(1);
    expect(await store.get(id)).toBeUndefined();
    expect((await ops.state('tls.test/mta1')).delivered).toBe(0);

    const dsn = () => receiver.messages.find((m) => m.from === '' && m.to.includes(SENDER));
    await expect.poll(() => dsn()?.body ?? '', POLL).toContain('Status: 4.4.7');
    expect(dsn()!.body).toContain('Action: failed');
    expect(dsn()!.body).toContain('Final-Recipient: rfc822; x@tls.test');

    // the receiver saw connections (and STARTTLS attempts) for tls.test, but never its envelope or data
    const upper = receiver.commands.map((c) => c.toUpperCase());
    expect(upper).toContain('STARTTLS');
    expect(upper.some((c) => c.startsWith('MAIL FROM:') && c.includes(SENDER.toUpperCase()))).toBe(false);
    expect(upper.some((c) => c.startsWith('RCPT TO:') && c.includes('X@TLS.TEST'))).toBe(false);
    // every DATA the receiver got belongs to a DSN
    expect(upper.filter((c) => c === 'DATA').length).toBe(receiver.messages.length);
    expect(receiver.messages.every((m) => m.from === '')).toBe(true);
  });

  it('delivers a recipient that got 451 once on the next attempt, without sending the message again to the one that took it', async () => {
    const seen = new Map<string, number>();
    const { store, keys, receiver, redis } = await setup({
      zone: { 'later.test': { MX: [{ preference: 10, exchange: 'mx2.dest.test' }] } },
      receiver: {
        rcptReply: (address) => {
          const n = (seen.get(address) ?? 0) + 1;
          seen.set(address, n);
          return address.startsWith('later@') && n === 1 ? [451, '4.3.0 try again later'] : undefined;
        },
      },
      config: simpleConfig(),
    });
    const { id } = await store.enqueue(message(['now@later.test', 'later@later.test']));
    await expect.poll(() => store.get(id), POLL).toBeUndefined();
    expect(receiver.messages.filter((m) => m.to.includes('later@later.test'))).toHaveLength(1);
    expect(receiver.messages.filter((m) => m.to.includes('now@later.test'))).toHaveLength(1);
    expect(seen.get('later@later.test')).toBe(2);
    expect(seen.get('now@later.test')).toBe(1);

    const records = (await redis.xrange(keys.accounting(), '-', '+')).map(([, f]) => fieldsOf(f)).filter((r) => r.msgId === id);
    const later = records.filter((r) => r.rcpt === 'later@later.test' && r.type !== 'r').map((r) => r.type);
    expect(later).toEqual(['t', 'd']);
    const now = records.filter((r) => r.rcpt === 'now@later.test' && r.type !== 'r').map((r) => r.type);
    expect(now).toEqual(['d']);
  });

  it('sends no DSN for a bounce of null-sender mail', async () => {
    const { store, ops, keys, receiver, redis } = await setup({
      zone: { 'reject.test': { MX: [{ preference: 10, exchange: 'mx2.dest.test' }] } },
      receiver: { rcptReply: () => [550, '5.1.1 no such user'] },
      config: simpleConfig(),
    });
    const { id } = await store.enqueue(message(['gone@reject.test'], { mailFrom: '' }));
    // a DSN would be queued before the bounce is recorded: once the message is gone, it would be there
    await expect.poll(() => store.get(id), POLL).toBeUndefined();
    expect((await ops.state('reject.test/mta1')).bounced).toBe(1);
    expect(await store.queueNames()).toEqual(['reject.test/mta1']);
    expect(receiver.messages).toHaveLength(0);
    const records = (await redis.xrange(keys.accounting(), '-', '+')).map(([, f]) => fieldsOf(f));
    expect(records.filter((r) => r.type === 'b').map((r) => r.rcpt)).toEqual(['gone@reject.test']);
    expect(records.filter((r) => r.type === 'r').map((r) => r.msgId)).toEqual([id]);
  });
});
