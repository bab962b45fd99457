/**
 * Outbound TLS with real sockets and real certificates: verification per domain
 * (smtp-tls-verify-certificate, smtp-tls-ca-file) and TLS 1.2 as the minimum unless
 * smtp-tls-allow-tlsv1 says otherwise.
 */
import type { Redis } from 'ioredis';
import type { MessageStore } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DnsResolver } from '../dns/resolver.js';
import { deliveryTestbeds } from '../testing/delivery-testbed.js';
import { mta1ConfigText } from '../testing/mta1-config.js';
import { startTestDnsServer, type TestDnsServer } from '../testing/test-dns-server.js';
import type { Receiver, ReceiverOptions } from '../testing/test-smtp-receiver.js';
import { createTestCa, type TestCa } from '../testing/test-tls.js';

const RECEIVER_IP = '127.0.0.10';

const message = (to: string) => testMessage(to, { mailFrom: '', body: Buffer.from('Subject: tls test\r\n\r\nhello\r\n') });

let ca: TestCa;
let dns: TestDnsServer;
beforeAll(async () => {
  ca = createTestCa();
  dns = await startTestDnsServer({ address: '127.0.0.1', zone: { 'mx.tls.test': { A: [RECEIVER_IP] } } });
});
afterAll(async () => dns.close());

describe('outbound TLS policy against real TLS receivers', () => {
  const testbed = deliveryTestbeds(afterEach);
  let redis: Redis;
  let receiver: Receiver | undefined;
  let store: MessageStore | undefined;

  /** `host` in smtp-hosts: the MX name the certificate is checked against. */
  async function setup(receiverOptions: Omit<ReceiverOptions, 'host'>, domainLines: string[], host = 'mx.tls.test') {
    const bed = await testbed();
    ({ redis, store } = bed);
    receiver = await bed.receiver({ host: RECEIVER_IP, ...receiverOptions });
    const text = mta1ConfigText({
      accounting: true,
      domain: [`  smtp-hosts ${host}:${receiver.port}`, '  retry-after 1h', '  retry-recipients-after 1h', ...domainLines.map((l) => `  ${l}`)],
    });
    const resolver = new DnsResolver({ servers: [dns.server], timeoutMs: 500, tries: 1, families: [4] });
    await bed.deliver(text, { concurrency: 2, resolver });
    return { store: bed.store, ops: bed.ops };
  }

  async function accounting(): Promise<string[]> {
    return (await redis.xrange(store!.keys.accounting(), '-', '+')).map(([, f]) => f.join(' '));
  }

  it('defers mail to a self-signed certificate under smtp-tls-verify-certificate, with the reason in the t record', async () => {
    const { store, ops } = await setup({ startTls: true }, ['smtp-tls-verify-certificate yes']);
    const { id } = await store.enqueue(message('a@verify.example'));
    await expect.poll(async () => (await ops.state('verify.example/mta1')).mode, { timeout: 20_000 }).toBe('retry');
    expect(receiver!.messages).toHaveLength(0);
    expect((await store.get(id))?.recipients[0]?.state).toBe('queued');
    const t = (await accounting()).find((r) => r.startsWith('type t ') && r.includes('a@verify.example'));
    expect(t).toMatch(/\b4\.7\.5\b/);
    expect(t).toMatch(/tls-certificate/);
  });

  it('delivers to the same self-signed receiver under plain require-starttls (encryption only)', async () => {
    const { store } = await setup({ startTls: true }, ['require-starttls yes']);
    await store.enqueue(message('a@insecure.example'));
    await expect.poll(() => receiver!.messages.length, { timeout: 20_000 }).toBe(1);
    expect(receiver!.connections.at(-1)?.secure).toBe(true);
  });

  it('verifies a certificate of a test CA for the MX name with smtp-tls-ca-file', async () => {
    const { store } = await setup({ startTls: false, tls: ca.issue('mx.tls.test') }, ['smtp-tls-verify-certificate yes', `smtp-tls-ca-file ${ca.caFile}`]);
    await store.enqueue(message('a@private-ca.example'));
    await expect.poll(() => receiver!.messages.length, { timeout: 20_000 }).toBe(1);
    expect(receiver!.connections.at(-1)?.secure).toBe(true);
  });

  it('refuses a test CA certificate issued for another name', async () => {
    const { store, ops } = await setup({ startTls: false, tls: ca.issue('other.tls.test') }, ['smtp-tls-verify-certificate yes', `smtp-tls-ca-file ${ca.caFile}`]);
    await store.enqueue(message('a@wrong-name.example'));
    await expect.poll(async () => (await ops.state('wrong-name.example/mta1')).mode, { timeout: 20_000 }).toBe('retry');
    expect(receiver!.messages).toHaveLength(0);
    expect((await accounting()).find((r) => r.startsWith('type t ') && r.includes('a@wrong-name.example'))).toMatch(/tls-certificate/);
  });

  it('does not trust a private CA without smtp-tls-ca-file', async () => {
    const { store, ops } = await setup({ startTls: false, tls: ca.issue('mx.tls.test') }, ['smtp-tls-verify-certificate yes']);
    await store.enqueue(message('a@no-ca.example'));
    await expect.poll(async () => (await ops.state('no-ca.example/mta1')).mode, { timeout: 20_000 }).toBe('retry');
    expect(receiver!.messages).toHaveLength(0);
  });

  describe('a receiver that speaks only TLS 1.0', () => {
    const tls10 = () => ({ ...ca.issue('mx.tls.test'), minVersion: 'TLSv1' as const, maxVersion: 'TLSv1' as const, ciphers: 'DEFAULT:@SECLEVEL=0' });

    it('is not used under require-starttls: the mail is deferred', async () => {
      const { store, ops } = await setup({ startTls: false, tls: tls10() }, ['require-starttls yes']);
      await store.enqueue(message('a@tls10.example'));
      await expect.poll(async () => (await ops.state('tls10.example/mta1')).mode, { timeout: 20_000 }).toBe('retry');
      expect(receiver!.messages).toHaveLength(0);
      expect(receiver!.connections.some((c) => c.secure)).toBe(false);
    });

    it('gets plaintext, never TLS 1.0, under opportunistic TLS', async () => {
      const { store } = await setup({ startTls: false, tls: tls10() }, []);
      await store.enqueue(message('a@tls10-opp.example'));
      await expect.poll(() => receiver!.messages.length, { timeout: 20_000 }).toBe(1);
      expect(receiver!.connections.some((c) => c.tlsProtocol === 'TLSv1')).toBe(false);
    });

    it('is used with TLS 1.0 when smtp-tls-allow-tlsv1 allows it', async () => {
      const { store } = await setup({ startTls: false, tls: tls10() }, ['require-starttls yes', 'smtp-tls-allow-tlsv1 yes']);
      await store.enqueue(message('a@tls10-allowed.example'));
      await expect.poll(() => receiver!.messages.length, { timeout: 20_000 }).toBe(1);
      expect(receiver!.connections.at(-1)?.tlsProtocol).toBe('TLSv1');
    });
  });
});

