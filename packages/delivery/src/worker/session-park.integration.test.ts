/**
 * Cross-queue session reuse (session-park.ts): many domains with the same MX go out over fewer
 * connections than domains, and the VMTA's max-smtp-out and max-msg-per-connection still hold at
 * the receiver. A parked session keeps its VMTA lease (renewed while parked, released when it
 * closes) and hands it to its taker: a reuse is not a new connection for max-connect-rate.
 */
import net from 'node:net';
import { Redis } from 'ioredis';
import { SMTPServer } from 'smtp-server';
import { loadConfigText } from '@vmta/config';
import { ConnectionLimiter, Keys, MessageStore } from '@vmta/queue';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { startDelivery, type StartDeliveryOptions } from './delivery-service.js';

const DOMAINS = 30;

/** Counts connections, the most open at once and the messages each connection carried. */
async function countingReceiver() {
  let open = 0;
  let peak = 0;
  let received = 0;
  const perConnection = new Map<string, number>();
  const server = new SMTPServer({
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    onConnect(session, cb) {
      open += 1;
      peak = Math.max(peak, open);
      perConnection.set(session.id, 0);
      cb();
    },
    onClose() {
      open -= 1;
    },
    onData(stream, session, cb) {
      stream.resume();
      stream.on('end', () =>
        setTimeout(() => {
          received += 1;
          perConnection.set(session.id, (perConnection.get(session.id) ?? 0) + 1);
          cb();
        }, 20),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.10', resolve));
  const port = (server.server.address() as net.AddressInfo).port;
  return { port, peak: () => peak, received: () => received, perConnection, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Stops what a case started, the delivery first. */
async function stopAll(p: { delivery: { close(): Promise<void> }; store: MessageStore; redis: Redis; receiver: { close(): Promise<void> }; t: { cleanup(): Promise<unknown> } }): Promise<void> {
  await p.delivery.close();
  await p.store.dispatcher.close();
  p.redis.disconnect();
  await p.receiver.close();
  await p.t.cleanup();
}

async function deliverManyDomains(domainLines: string[], options: Partial<StartDeliveryOptions> = {}, vmtaLines: string[] = []) {
  const t = await getTestRedis();
  const prefix = t.prefix.slice(0, -1);
  const receiver = await countingReceiver();
  const redis = new Redis(t.url);
  const store = new MessageStore(redis, { prefix });
  const config = loadConfigText(
    ['<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 mta1.example.test', ...vmtaLines, '</virtual-mta>', '<domain *>', `  smtp-hosts [127.0.0.10]:${receiver.port}`, ...domainLines, '</domain>'].join('\n'),
  );
  for (let i = 0; i < DOMAINS; i++) {
    await store.enqueue({
      mailFrom: 's@example.org',
      recipients: [{ address: `r@d${i}.example`, domain: `d${i}.example` }],
      body: Buffer.from(`Subject: ${i}\r\n\r\nbody\r\n`),
      vmta: 'mta1',
      source: { ip: '127.0.0.9', listener: 'test' },
      receivedAt: Date.now(),
    });
  }
  const delivery = await startDelivery({ config, redisUrl: t.url, prefix, concurrency: 3, ...options });
  try {
    await expect.poll(() => receiver.received(), { timeout: 60_000, interval: 100 }).toBe(DOMAINS);
    return { peak: receiver.peak(), connections: receiver.perConnection.size, perConnection: [...receiver.perConnection.values()] };
  } finally {
    await stopAll({ delivery, store, redis, receiver, t });
  }
}

describe('idle sessions shared between queues of one next hop', () => {
  it('delivers 30 domains with one MX over fewer than 30 connections, never more than the delivery concurrency at once', { timeout: 90_000 }, async () => {
    const r = await deliverManyDomains([]);
    expect(r.connections).toBeLessThan(DOMAINS);
    expect(r.peak).toBeLessThanOrEqual(3);
  });

  it('counts the messages a session already carried for max-msg-per-connection', { timeout: 90_000 }, async () => {
    const r = await deliverManyDomains(['  max-msg-per-connection 2']);
    expect(Math.max(...r.perConnection)).toBeLessThanOrEqual(2);
    expect(r.perConnection.filter((n) => n === 2).length).toBeGreaterThan(0);
    expect(r.peak).toBeLessThanOrEqual(3);
  });

  it('never parks for a VMTA with its own max-smtp-out (its count of open connections stays exact across next hops)', { timeout: 90_000 }, async () => {
    const r = await deliverManyDomains([], {}, ['  max-smtp-out 3']);
    expect(r.connections).toBe(DOMAINS);
    expect(r.peak).toBeLessThanOrEqual(3);
  });

  it('hands a parked session with its VMTA lease to the next run: renewed while parked, not a new connection for max-connect-rate, released when it closes', { timeout: 60_000 }, async () => {
    const t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    const receiver = await countingReceiver();
    const redis = new Redis(t.url);
    const store = new MessageStore(redis, { prefix });
    const limiter = new ConnectionLimiter(redis, prefix);
    const vmtaLeases = new Keys(prefix).vmtaConnections('mta1');
    // One new connection an hour for the queue: its second run can only go out over the parked session.
    const config = loadConfigText(
      ['<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 mta1.example.test', '</virtual-mta>', '<domain *>', `  smtp-hosts [127.0.0.10]:${receiver.port}`, '  max-connect-rate 1/h', '</domain>'].join('\n'),
    );
    const ref = { queue: 'park.example/mta1', domain: 'park.example', vmta: 'mta1' };
    const send = (i: number) =>
      store.enqueue({ mailFrom: 's@example.org', recipients: [{ address: `r${i}@park.example`, domain: 'park.example' }], body: Buffer.from(`Subject: ${i}\r\n\r\nbody\r\n`), vmta: 'mta1', source: { ip: '127.0.0.9', listener: 'test' }, receivedAt: Date.now() });
    // The lease lasts 600 ms unrenewed, the park keeps a session 8 s.
    const delivery = await startDelivery({ config, redisUrl: t.url, prefix, concurrency: 2, sessionParkMs: 8_000, vmtaLeaseMs: 600 });
    try {
      await send(1);
      await expect.poll(() => receiver.received(), { timeout: 10_000, interval: 50 }).toBe(1);
      // The run ended (its token is gone) and parked its session: the VMTA still counts it, and its lease is renewed.
      await expect.poll(async () => (await store.dispatcher.tokenJob(ref)) === undefined, { timeout: 10_000, interval: 20 }).toBe(true);
      expect(await limiter.count({ kind: 'vmta', vmta: 'mta1' })).toBe(1);
      const [, until] = await redis.zrange(vmtaLeases, '0', '0', 'WITHSCORES');
      await expect.poll(async () => Number((await redis.zrange(vmtaLeases, '0', '0', 'WITHSCORES'))[1]), { timeout: 5_000, interval: 50 }).toBeGreaterThan(Number(until));
      await send(2);
      await expect.poll(() => receiver.received(), { timeout: 10_000, interval: 50 }).toBe(2);
      expect(receiver.perConnection.size).toBe(1);
      // The session leaves the park unused at last (QUIT): its lease goes with it.
      await expect.poll(() => limiter.count({ kind: 'vmta', vmta: 'mta1' }), { timeout: 20_000, interval: 100 }).toBe(0);
      expect(await redis.zcard(vmtaLeases)).toBe(0);
    } finally {
      await stopAll({ delivery, store, redis, receiver, t });
    }
  });

  it('opens a connection per domain with parking off (sessionParkMs 0)', { timeout: 90_000 }, async () => {
    const r = await deliverManyDomains([], { sessionParkMs: 0 });
    expect(r.connections).toBe(DOMAINS);
  });
});
