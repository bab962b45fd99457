/**
 * Outbound TLS with real sockets and real certificates: verification per domain
 * (smtp-tls-verify-certificate, smtp-tls-ca-file) and TLS 1.2 as the minimum unless
 * smtp-tls-allow-tlsv1 says otherwise.
 */
import { Redis } from 'ioredis';
import { loadConfigText } from '@vmta/config';
import { MessageStore, QueueOps } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DnsResolver } from '../dns/resolver.js';
import { startTestDnsServer, type TestDnsServer } from '../testing/test-dns-server.js';
import { startReceiver, type Receiver, type ReceiverOptions } from '../testing/test-smtp-receiver.js';
import { createTestCa, type TestCa } from '../testing/test-tls.js';
import { startDelivery, type RunningDelivery } from './delivery-service.js';

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
  let t: TestRedis;
  let redis: Redis;
  let receiver: Receiver | undefined;
  let delivery: RunningDelivery | undefined;
  let store: MessageStore | undefined;

  /** `host` in smtp-hosts: the MX name the certificate is checked against. */
  async function setup(receiverOptions: Omit<ReceiverOptions, 'host'>, domainLines: string[], host = 'mx.tls.test') {
    t = await getTestRedis();
    redis = new Redis(t.url);
    receiver = await startReceiver({ host: RECEIVER_IP, ...receiverOptions });
    const prefix = t.prefix.slice(0, -1);
    store = new MessageStore(redis, { prefix });
    const text = [
      '<acct-file acct.csv>',
      '</acct-file>',
      '<virtual-mta mta1>',
      '  smtp-source-host 127.0.0.2 mta1.example.test',
      '</virtual-mta>',
      '<domain *>',
      `  smtp-hosts ${host}:${receiver.port}`,
      '  retry-after 1h',
      '  retry-recipients-after 1h',
      ...domainLines.map((l) => `  ${l}`),
      '</domain>',
    ].join('\n');
    const resolver = new DnsResolver({ servers: [dns.server], timeoutMs: 500, tries: 1, families: [4] });
    delivery = await startDelivery({ config: loadConfigText(text), redisUrl: t.url, prefix, concurrency: 2, resolver });
    return { store, ops: new QueueOps(redis, prefix) };
  }

  async function accounting(): Promise<string[]> {
    return (await redis.xrange(store!.keys.accounting(), '-', '+')).map(([, f]) => f.join(' '));
  }

  afterEach(async () => {
    await delivery?.close();
    await store?.dispatcher.close();
    await receiver?.close();
    await t?.cleanup();
    redis?.disconnect();
    delivery = undefined;
    receiver = undefined;
  });

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

