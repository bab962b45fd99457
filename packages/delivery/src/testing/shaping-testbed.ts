/**
 * A testbed for traffic-shaping scenarios: test receivers on 127.0.0.10, .11, ..., a test DNS
 * server (sender.test's MX is the first receiver, so DSNs and notices land there), a config with
 * VMTA mta1 (127.0.0.2) and <domain *> using `<smtp-pattern-list shaping>`, and one or more
 * delivery processes on a Redis of their own.
 */
import { Redis } from 'ioredis';
import pino from 'pino';
import { loadConfigText, type VmtaConfig } from '@vmta/config';
import { Keys, MessageStore, QueueOps, type NewMessage } from '@vmta/queue';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { startDelivery, type RunningDelivery } from '../worker/delivery-service.js';
import { startTestDnsServer, type TestDnsServer } from './test-dns-server.js';
import { startReceiver, type Receiver, type ReceiverOptions } from './test-smtp-receiver.js';

export const SHAPING_SENDER = 'sender@sender.test';

/** A small message of VMTA mta1 from SHAPING_SENDER. */
export function shapingMessage(recipients: string[], vmta = 'mta1'): NewMessage {
  return {
    mailFrom: SHAPING_SENDER,
    recipients: recipients.map((address) => ({ address, domain: address.split('@')[1]! })),
    body: Buffer.from(`Subject: shaping\r\nFrom: ${SHAPING_SENDER}\r\n\r\nhello\r\n`),
    vmta,
    source: { ip: '127.0.0.9', listener: '127.0.0.1:2525', heloName: 'client.test' },
    receivedAt: Date.now(),
  };
}

function fieldsOf(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

export interface ShapingSetup {
  /** Receivers on 127.0.0.10, .11, ... */
  receivers: Array<Partial<ReceiverOptions>>;
  /** Lines inside <domain *>; gets the receivers' ports. */
  domain: (ports: number[]) => string[];
  patterns: string[];
  processes?: number;
  /** More lines inside <virtual-mta mta1>. */
  vmta?: string[];
  /** More lines at the top level of the config (other VMTAs, <bounce-category-patterns>, ...). */
  extra?: string[];
}

export interface ShapingTestbed {
  store: MessageStore;
  ops: QueueOps;
  redis: Redis;
  /** The key prefix (Keys, ConnectionLimiter). */
  prefix: string;
  config: VmtaConfig;
  /** The config's text (a test reloads an edited copy). */
  text: string;
  /** file:line of the n-th reply rule (0-based). */
  rule: (n: number) => string;
  /** Every accounting record written so far. */
  records: () => Promise<Array<Record<string, string>>>;
  /** The delivery processes' log lines. */
  events: Array<Record<string, unknown>>;
  receivers: Receiver[];
  deliveries: RunningDelivery[];
  close: () => Promise<void>;
}

export async function startShapingTestbed(s: ShapingSetup): Promise<ShapingTestbed> {
  const t: TestRedis = await getTestRedis();
  const redis = new Redis(t.url);
  const receivers = await Promise.all(s.receivers.map((r, i) => startReceiver({ host: `127.0.0.${10 + i}`, startTls: false, ...r })));
  const ports = receivers.map((r) => r.port);
  const dns: TestDnsServer = await startTestDnsServer({
    zone: { 'sender.test': { MX: [{ preference: 10, exchange: 'mx.sender.test' }] }, 'mx.sender.test': { A: ['127.0.0.10'] } },
    address: '127.0.0.53',
  });
  const domainLines = s.domain(ports);
  const text = [
    '<acct-file acct.csv>',
    '</acct-file>',
    'host-name mta.example.test',
    `name-server 127.0.0.53:${dns.server.port}`,
    '<virtual-mta mta1>',
    '  smtp-source-host 127.0.0.2 mta1.test',
    ...(s.vmta ?? []).map((l) => `  ${l}`),
    '</virtual-mta>',
    ...(s.extra ?? []),
    '<smtp-pattern-list shaping>',
    ...s.patterns.map((p) => `  reply ${p}`),
    '</smtp-pattern-list>',
    '<domain *>',
    `  default-smtp-port ${ports[0]}`,
    '  retry-after 1h',
    '  retry-recipients-after 1s',
    '  smtp-pattern-list shaping',
    ...domainLines.map((l) => `  ${l}`),
    // every domain goes to the first receiver unless the test routes it
    ...(domainLines.some((l) => l.startsWith('smtp-hosts')) ? [] : [`  smtp-hosts [127.0.0.10]:${ports[0]}`]),
    '</domain>',
  ].join('\n');
  const config = loadConfigText(text);
  const prefix = t.prefix.slice(0, -1);
  const store = new MessageStore(redis, { prefix });
  const events: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void events.push(JSON.parse(line) as Record<string, unknown>) });
  const deliveries: RunningDelivery[] = [];
  for (let i = 0; i < (s.processes ?? 1); i++) deliveries.push(await startDelivery({ config, redisUrl: t.url, prefix, concurrency: 8, logger }));
  const rule = (n: number) => `${config.file}:${text.split('\n').indexOf(`  reply ${s.patterns[n]}`) + 1}`;
  const records = async () => (await redis.xrange(new Keys(prefix).accounting(), '-', '+')).map(([, f]) => fieldsOf(f));
  const close = async () => {
    await Promise.all(deliveries.map((d) => d.close()));
    await store.dispatcher.close();
    await Promise.all(receivers.map((r) => r.close()));
    await dns.close();
    await t.cleanup();
    redis.disconnect();
  };
  return { store, ops: new QueueOps(redis, prefix), redis, prefix, config, text, rule, records, events, receivers, deliveries, close };
}

/** A testbed per test of a describe block: `afterEach` (vitest's) closes the one a test started. */
export function shapingTestbeds(afterEach: (fn: () => Promise<void>) => void): (s: ShapingSetup) => Promise<ShapingTestbed> {
  let bed: ShapingTestbed | undefined;
  afterEach(async () => {
    await bed?.close();
    bed = undefined;
  });
  return async (s) => (bed = await startShapingTestbed(s));
}
