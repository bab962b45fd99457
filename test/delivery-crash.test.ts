/**
 * kill -9 of a delivery process while it delivers: every queued message still
 * reaches the receiver (another process takes the dead one's tokens back), and
 * duplicates stay within the messages that were on the wire at the kill.
 *
 * Slot recovery: a second delivery process takes the dead one's slots back through the process
 * registry's heartbeats (not BullMQ's stalled-job check, which needs lockDuration +
 * stalledInterval = 45 s), so the last message arrives within 15 s of the kill; a message arrives
 * twice only if it was on the wire at the kill (its dot had reached the receiver: RFC 5321 §6.1).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { MessageStore } from '@vmta/queue';
import { startReceiver } from '@vmta/delivery/testing';
import { startDeliveryProcess } from './support/delivery-process.js';

const TOTAL = 2000;
const MAX_SMTP_OUT = 4;

/** No message keys left, then the surviving process stops cleanly on SIGTERM. */
async function expectDrainedAndStopped(redis: Redis, keyPrefix: string, survivor: ChildProcess): Promise<void> {
  await expect.poll(() => redis.keys(`${keyPrefix}{m:*`), { timeout: 10_000 }).toEqual([]);
  survivor.kill('SIGTERM');
  expect(await new Promise((resolve) => survivor.once('exit', resolve))).toBe(0);
}

async function closeAll(
  processes: Array<{ child: ChildProcess }>,
  c: { store: MessageStore; redis: Redis; receiver: { close(): Promise<unknown> }; t: { cleanup(): Promise<unknown> } },
): Promise<void> {
  for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await c.store.dispatcher.close();
  c.redis.disconnect();
  await c.receiver.close();
  await c.t.cleanup();
}

/** A delivery config sending every domain to the receiver on 127.0.0.10 with `maxSmtpOut` connections per queue. */
/** A delivery config sending every domain to the receiver on 127.0.0.10 with `maxSmtpOut` connections per queue (`extra`: more lines before <domain *>, then inside it). */
function writeConfig(port: number, maxSmtpOut: number, extra: { top?: string[]; domain?: string[] } = {}): string {
  const conf = path.join(mkdtempSync(path.join(tmpdir(), 'vmta-dcrash-')), 'vmta.conf');
  const lines = ['<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 mta1.example.test', '</virtual-mta>', ...(extra.top ?? []), '<domain *>', `  smtp-hosts [127.0.0.10]:${port}`, ...(extra.domain ?? [])];
  writeFileSync(conf, [...lines, `  max-smtp-out ${maxSmtpOut}`, '  retry-after 2s', '</domain>'].join('\n'));
  return conf;
}

describe('a delivery process killed with SIGKILL mid-delivery', () => {
  it('loses nothing: the other process delivers every message', { timeout: 180_000 }, async () => {
    const t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    const receiver = await startReceiver({ host: '127.0.0.10', startTls: false });
    const conf = writeConfig(receiver.port, MAX_SMTP_OUT);
    const redis = new Redis(t.url);
    const store = new MessageStore(redis, { prefix });
    const a = startDeliveryProcess(conf, t.url, prefix);
    const b = startDeliveryProcess(conf, t.url, prefix);
    try {
      await expect.poll(() => a.output().includes('"event":"started"') && b.output().includes('"event":"started"'), { timeout: 20_000 }).toBe(true);
      const feeding = (async () => {
        for (let i = 0; i < TOTAL; i++) {
          await store.enqueue({
            mailFrom: 'sender@example.org',
            recipients: [{ address: `r${i % 7}@crash${i % 3}.example`, domain: `crash${i % 3}.example` }],
            body: Buffer.from(`Subject: crash test\r\nX-Seq: ${i}\r\n\r\nmessage ${i}\r\n`),
            vmta: 'mta1',
            source: { ip: '127.0.0.9', listener: 'test' },
            receivedAt: Date.now(),
          });
        }
      })();
      await expect.poll(() => receiver.messages.length, { timeout: 30_000 }).toBeGreaterThan(TOTAL / 10);
      a.child.kill('SIGKILL');
      const killedAt = receiver.messages.length;
      await feeding;
      const seqs = () => receiver.messages.map((m) => Number(/X-Seq: (\d+)/.exec(m.body)?.[1]));
      await expect.poll(() => new Set(seqs()).size, { timeout: 120_000, interval: 500 }).toBe(TOTAL);
      const all = seqs();
      expect(killedAt).toBeLessThan(TOTAL / 2);
      // duplicates are only possible for messages on the wire when the process died (RFC 5321 §6.1)
      const duplicates = all.length - TOTAL;
      console.info(`delivery crash test: ${TOTAL} messages, killed after ${killedAt} delivered, ${duplicates} duplicate deliveries`);
      expect(duplicates).toBeLessThanOrEqual(MAX_SMTP_OUT * 3);
      for (const q of ['crash0.example/mta1', 'crash1.example/mta1', 'crash2.example/mta1']) {
        await expect.poll(() => store.queued(q), { timeout: 10_000 }).toEqual([]);
      }
      await expectDrainedAndStopped(redis, t.prefix, b.child);
    } finally {
      await closeAll([a, b], { store, redis, receiver, t });
    }
  });
});

/** Slot recovery: queues of 100 messages each, 2 connections per queue. */
const RECOVERY_TOTAL = 400;
const RECOVERY_DOMAINS = 4;
const RECOVERY_MAX_SMTP_OUT = 2;

describe('slot recovery after kill -9 of a delivery process', () => {
  it('delivers the dead process’s claimed mail within 15 s of the kill, none twice outside the §6.1 window', { timeout: 120_000 }, async () => {
    const t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    // Each message is answered 25 ms after its dot: slots hold claimed batches while they send.
    const receiver = await startReceiver({ host: '127.0.0.10', startTls: false, replyDelayMs: 25 });
    const arrivedAt: number[] = [];
    const conf = writeConfig(receiver.port, RECOVERY_MAX_SMTP_OUT);
    const redis = new Redis(t.url);
    const store = new MessageStore(redis, { prefix });
    const a = startDeliveryProcess(conf, t.url, prefix);
    const b = startDeliveryProcess(conf, t.url, prefix);
    const watch = setInterval(() => {
      while (arrivedAt.length < receiver.messages.length) arrivedAt.push(Date.now());
    }, 5);
    try {
      await expect.poll(() => a.output().includes('"event":"started"') && b.output().includes('"event":"started"'), { timeout: 20_000 }).toBe(true);
      // Both processes registered (their heartbeats are what recovery goes by).
      await expect.poll(() => redis.zcard(`${prefix}:procs`), { timeout: 10_000 }).toBe(2);
      for (let i = 0; i < RECOVERY_TOTAL; i++) {
        await store.enqueue({
          mailFrom: 'sender@example.org',
          recipients: [{ address: `r${i}@rec${i % RECOVERY_DOMAINS}.example`, domain: `rec${i % RECOVERY_DOMAINS}.example` }],
          body: Buffer.from(`Subject: recovery test\r\nX-Seq: ${i}\r\n\r\nmessage ${i}\r\n`),
          vmta: 'mta1',
          source: { ip: '127.0.0.9', listener: 'test' },
          receivedAt: Date.now(),
        });
      }
      // Kill A while it holds slots with claimed mail.
      const held = async () => (await redis.smembers(`${prefix}:proc:${a.output().match(/"processId":"([^"]+)"/)?.[1]}:slots`)).length;
      await expect.poll(() => a.output().includes('"processId"'), { timeout: 10_000 }).toBe(true);
      await expect.poll(async () => receiver.messages.length > RECOVERY_TOTAL / 10 && (await held()) > 0, { timeout: 30_000, interval: 20 }).toBe(true);
      a.child.kill('SIGKILL');
      const killedAt = Date.now();
      const arrivedBeforeKill = receiver.messages.length;
      const seqs = () => receiver.messages.map((m) => Number(/X-Seq: (\d+)/.exec(m.body)?.[1]));
      await expect.poll(() => new Set(seqs()).size, { timeout: 60_000, interval: 100 }).toBe(RECOVERY_TOTAL);
      await new Promise((r) => setTimeout(r, 50));
      const all = seqs();
      const lastFirstArrival = Math.max(...[...new Set(all)].map((s) => arrivedAt[all.indexOf(s)]!));
      const recoveryMs = lastFirstArrival - killedAt;
      const duplicates = all.length - RECOVERY_TOTAL;
      // A message that arrived twice had its first copy at the receiver before the kill: it was on the wire.
      const twice = [...new Set(all.filter((s, i) => all.indexOf(s) !== i))];
      for (const s of twice) expect(all.indexOf(s)).toBeLessThan(arrivedBeforeKill);
      const recoveredAt = [...b.output().matchAll(/"time":(\d+),[^\n]*"event":"slot-recovered"/g)].map((m) => Number(m[1]) - killedAt);
      console.info(
        `crash recovery: ${RECOVERY_TOTAL} messages, ${arrivedBeforeKill} arrived before kill -9, slots taken back ${recoveredAt.join(', ')} ms after the kill, last message ${recoveryMs} ms after the kill, ${duplicates} duplicate(s) (on the wire at the kill)`,
      );
      // Silent for SLOT_RECOVERY_AFTER_MS (10 s) after its last heartbeat, plus one scan (1 s).
      for (const ms of recoveredAt) expect(ms).toBeLessThanOrEqual(11_500);
      expect(recoveryMs).toBeLessThanOrEqual(15_000);
      expect(duplicates).toBeLessThanOrEqual(RECOVERY_DOMAINS * RECOVERY_MAX_SMTP_OUT);
      expect(b.output()).toContain('"event":"slot-recovered"');
      for (let d = 0; d < RECOVERY_DOMAINS; d++) await expect.poll(() => store.queued(`rec${d}.example/mta1`), { timeout: 10_000 }).toEqual([]);
      await expectDrainedAndStopped(redis, t.prefix, b.child);
    } finally {
      clearInterval(watch);
      await closeAll([a, b], { store, redis, receiver, t });
    }
  });
});

/** Fan-out: each message to 2 recipients in each of 4 domains, so each domain's delivery reads only its own (readForQueue). */
const FAN_TOTAL = 300;
const FAN_DOMAINS = 4;

describe('fan-out messages while a delivery process is killed with SIGKILL', () => {
  it('delivers every recipient of every domain, each delivery with exactly its domain’s recipients', { timeout: 180_000 }, async () => {
    const t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    const receiver = await startReceiver({ host: '127.0.0.10', startTls: false, replyDelayMs: 5 });
    const conf = writeConfig(receiver.port, MAX_SMTP_OUT);
    const redis = new Redis(t.url);
    const store = new MessageStore(redis, { prefix });
    const a = startDeliveryProcess(conf, t.url, prefix);
    const b = startDeliveryProcess(conf, t.url, prefix);
    // Deflated when stored (over 1 KB): each process inflates it once and keeps it for the other domains.
    const filler = 'a line of body text that is long enough to be worth deflating\r\n'.repeat(40);
    const rcpts = (i: number) =>
      Array.from({ length: FAN_DOMAINS * 2 }, (_, k) => ({ address: `u${k}.${i}@fan${k % FAN_DOMAINS}.example`, domain: `fan${k % FAN_DOMAINS}.example` }));
    try {
      await expect.poll(() => a.output().includes('"event":"started"') && b.output().includes('"event":"started"'), { timeout: 20_000 }).toBe(true);
      for (let i = 0; i < FAN_TOTAL; i++) {
        await store.enqueue({
          mailFrom: 'sender@example.org',
          recipients: rcpts(i),
          body: Buffer.from(`Subject: fan-out crash test\r\nX-Seq: ${i}\r\n\r\n${filler}message ${i}\r\n`),
          vmta: 'mta1',
          source: { ip: '127.0.0.9', listener: 'test' },
          receivedAt: Date.now(),
        });
      }
      await expect.poll(() => receiver.messages.length, { timeout: 30_000 }).toBeGreaterThan(FAN_TOTAL / 5);
      a.child.kill('SIGKILL');
      const deliveries = () => receiver.messages.map((m) => ({ seq: Number(/X-Seq: (\d+)/.exec(m.body)?.[1]), to: [...m.to].sort(), body: m.body }));
      const key = (d: { seq: number; to: string[] }) => `${d.seq}|${d.to[0]!.split('@')[1]}`;
      await expect.poll(() => new Set(deliveries().map(key)).size, { timeout: 120_000, interval: 500 }).toBe(FAN_TOTAL * FAN_DOMAINS);
      for (const d of deliveries()) {
        const domain = d.to[0]!.split('@')[1]!;
        expect(d.to).toEqual(rcpts(d.seq).filter((r) => r.domain === domain).map((r) => r.address).sort());
        expect(d.body).toContain(`${filler}message ${d.seq}`);
      }
      const duplicates = deliveries().length - FAN_TOTAL * FAN_DOMAINS;
      console.info(`fan-out crash test: ${FAN_TOTAL} messages × ${FAN_DOMAINS} domains, ${duplicates} duplicate deliveries`);
      // Only what was on the wire at the kill: at most max-smtp-out connections per domain.
      expect(duplicates).toBeLessThanOrEqual(MAX_SMTP_OUT * FAN_DOMAINS);
      await expectDrainedAndStopped(redis, t.prefix, b.child);
    } finally {
      await closeAll([a, b], { store, redis, receiver, t });
    }
  });
});

/** Rerouted queues (reroute-to-virtual-mta): the mail stays in domain/mta1, the connections are mta2's. */
const REROUTE_TOTAL = 400;

describe('kill -9 of a delivery process delivering a rerouted queue', () => {
  it('loses nothing and sends nothing twice outside the §6.1 window; every connection is mta2\'s', { timeout: 120_000 }, async () => {
    const t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    const receiver = await startReceiver({ host: '127.0.0.10', startTls: false, replyDelayMs: 10 });
    const conf = writeConfig(receiver.port, MAX_SMTP_OUT, {
      top: ['<virtual-mta mta2>', '  smtp-source-host 127.0.0.3 mta2.example.test', '</virtual-mta>'],
      domain: ['  reroute-to-virtual-mta mta2'],
    });
    const redis = new Redis(t.url);
    const store = new MessageStore(redis, { prefix });
    const a = startDeliveryProcess(conf, t.url, prefix);
    const b = startDeliveryProcess(conf, t.url, prefix);
    try {
      await expect.poll(() => a.output().includes('"event":"started"') && b.output().includes('"event":"started"'), { timeout: 20_000 }).toBe(true);
      for (let i = 0; i < REROUTE_TOTAL; i++) {
        await store.enqueue({
          mailFrom: 'sender@example.org',
          recipients: [{ address: `r${i}@via${i % 2}.example`, domain: `via${i % 2}.example` }],
          body: Buffer.from(`Subject: reroute crash\r\nX-Seq: ${i}\r\n\r\nmessage ${i}\r\n`),
          vmta: 'mta1',
          source: { ip: '127.0.0.9', listener: 'test' },
          receivedAt: Date.now(),
        });
      }
      await expect.poll(() => receiver.messages.length, { timeout: 30_000, interval: 20 }).toBeGreaterThan(REROUTE_TOTAL / 10);
      a.child.kill('SIGKILL');
      const arrivedBeforeKill = receiver.messages.length;
      const seqs = () => receiver.messages.map((m) => Number(/X-Seq: (\d+)/.exec(m.body)?.[1]));
      await expect.poll(() => new Set(seqs()).size, { timeout: 60_000, interval: 100 }).toBe(REROUTE_TOTAL);
      const all = seqs();
      const twice = [...new Set(all.filter((s, i) => all.indexOf(s) !== i))];
      for (const s of twice) expect(all.indexOf(s)).toBeLessThan(arrivedBeforeKill);
      console.info(`reroute crash test: ${REROUTE_TOTAL} messages, killed after ${arrivedBeforeKill}, ${all.length - REROUTE_TOTAL} duplicate(s)`);
      expect(all.length - REROUTE_TOTAL).toBeLessThanOrEqual(2 * MAX_SMTP_OUT);
      expect(receiver.connections.length).toBeGreaterThan(0);
      // A connection the kill cut before its EHLO has no HELO name: its source address still says whose it was.
      expect(receiver.connections.every((c) => c.remoteAddress.endsWith('127.0.0.3') && (c.heloName === 'mta2.example.test' || c.heloName === ''))).toBe(true);
      for (const q of ['via0.example/mta1', 'via1.example/mta1']) await expect.poll(() => store.queued(q), { timeout: 10_000 }).toEqual([]);
      await expectDrainedAndStopped(redis, t.prefix, b.child);
    } finally {
      await closeAll([a, b], { store, redis, receiver, t });
    }
  });
});
