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
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestDnsServer, verifyWithMailauth, writeTestKey } from '@vmta/delivery/testing';
import type { NewMessage } from '@vmta/queue';
import { deliveryConfig, openCrashBed, seqMessage, type CrashBed, type DeliveryProcess, type KillMark } from './support/crash-bed.js';

/**
 * Starts a delivery process A next to `other`, feeds `total` messages and kills A (SIGKILL) once a tenth
 * of them arrived; returns when every message is queued, with what the receiver had at the kill.
 */
async function feedAndKill(bed: CrashBed, other: DeliveryProcess, total: number, message: (i: number) => NewMessage): Promise<KillMark> {
  const a = bed.startDelivery();
  await bed.waitStarted(a, other);
  const feeding = (async () => {
    for (let i = 0; i < total; i++) await bed.store.enqueue(message(i));
  })();
  await expect.poll(() => bed.receiver!.messages.length, { timeout: 30_000 }).toBeGreaterThan(total / 10);
  const mark = bed.kill(a);
  await feeding;
  return mark;
}

const TOTAL = 2000;
const MAX_SMTP_OUT = 4;

describe('a delivery process killed with SIGKILL mid-delivery', () => {
  it('loses nothing: the other process delivers every message', { timeout: 180_000 }, async () => {
    const bed = await openCrashBed({ receiver: {}, config: (port) => deliveryConfig({ port, maxSmtpOut: MAX_SMTP_OUT }) });
    const receiver = bed.receiver!;
    const b = bed.startDelivery();
    try {
      const killedAt = (await feedAndKill(bed, b, TOTAL, (i) => seqMessage(i, [`r${i % 7}@crash${i % 3}.example`], { subject: 'crash test' }))).arrived;
      await bed.waitArrived(TOTAL, { timeoutMs: 120_000, intervalMs: 500 });
      expect(killedAt).toBeLessThan(TOTAL / 2);
      // duplicates are only possible for messages on the wire when the process died (RFC 5321 §6.1)
      const duplicates = bed.duplicates(TOTAL);
      console.info(`delivery crash test: ${TOTAL} messages, killed after ${killedAt} delivered, ${duplicates} duplicate deliveries`);
      expect(duplicates).toBeLessThanOrEqual(MAX_SMTP_OUT * 3);
      for (const q of ['crash0.example/mta1', 'crash1.example/mta1', 'crash2.example/mta1']) {
        await expect.poll(() => bed.store.queued(q), { timeout: 10_000 }).toEqual([]);
      }
      await bed.expectDrained();
      await bed.expectStopsCleanly(b);
    } finally {
      await bed.close();
    }
  });
});

/** Slot recovery: queues of 100 messages each, 2 connections per queue. */
const RECOVERY_TOTAL = 400;
const RECOVERY_DOMAINS = 4;
const RECOVERY_MAX_SMTP_OUT = 2;

describe('slot recovery after kill -9 of a delivery process', () => {
  it('delivers the dead process’s claimed mail within 15 s of the kill, none twice outside the §6.1 window', { timeout: 120_000 }, async () => {
    // Each message is answered 25 ms after its dot: slots hold claimed batches while they send.
    const bed = await openCrashBed({ receiver: { replyDelayMs: 25 }, config: (port) => deliveryConfig({ port, maxSmtpOut: RECOVERY_MAX_SMTP_OUT }) });
    const { redis, prefix } = bed;
    const receiver = bed.receiver!;
    const arrivedAt: number[] = [];
    const a = bed.startDelivery();
    const b = bed.startDelivery();
    const watch = setInterval(() => {
      while (arrivedAt.length < receiver.messages.length) arrivedAt.push(Date.now());
    }, 5);
    try {
      await bed.waitStarted(a, b);
      // Both processes registered (their heartbeats are what recovery goes by).
      await expect.poll(() => redis.zcard(`${prefix}:procs`), { timeout: 10_000 }).toBe(2);
      for (let i = 0; i < RECOVERY_TOTAL; i++) {
        await bed.store.enqueue(seqMessage(i, [`r${i}@rec${i % RECOVERY_DOMAINS}.example`], { subject: 'recovery test' }));
      }
      // Kill A while it holds slots with claimed mail.
      const held = async () => (await redis.smembers(`${prefix}:proc:${a.output().match(/"processId":"([^"]+)"/)?.[1]}:slots`)).length;
      await expect.poll(() => a.output().includes('"processId"'), { timeout: 10_000 }).toBe(true);
      await expect.poll(async () => receiver.messages.length > RECOVERY_TOTAL / 10 && (await held()) > 0, { timeout: 30_000, interval: 20 }).toBe(true);
      const mark = bed.kill(a);
      const killedAt = Date.now();
      await bed.waitArrived(RECOVERY_TOTAL, { timeoutMs: 60_000, intervalMs: 100 });
      await new Promise((r) => setTimeout(r, 50));
      const all = bed.seqs();
      const lastFirstArrival = Math.max(...[...new Set(all)].map((s) => arrivedAt[all.indexOf(s)]!));
      const recoveryMs = lastFirstArrival - killedAt;
      const duplicates = bed.duplicates(RECOVERY_TOTAL);
      bed.expectTwiceOnlyOnTheWire(mark);
      const recoveredAt = [...b.output().matchAll(/"time":(\d+),[^\n]*"event":"slot-recovered"/g)].map((m) => Number(m[1]) - killedAt);
      console.info(
        `crash recovery: ${RECOVERY_TOTAL} messages, ${mark.arrived} arrived before kill -9, slots taken back ${recoveredAt.join(', ')} ms after the kill, last message ${recoveryMs} ms after the kill, ${duplicates} duplicate(s) (on the wire at the kill)`,
      );
      // Silent for SLOT_RECOVERY_AFTER_MS (10 s) after its last heartbeat, plus one scan (1 s).
      for (const ms of recoveredAt) expect(ms).toBeLessThanOrEqual(11_500);
      expect(recoveryMs).toBeLessThanOrEqual(15_000);
      expect(duplicates).toBeLessThanOrEqual(RECOVERY_DOMAINS * RECOVERY_MAX_SMTP_OUT);
      expect(b.output()).toContain('"event":"slot-recovered"');
      for (let d = 0; d < RECOVERY_DOMAINS; d++) await expect.poll(() => bed.store.queued(`rec${d}.example/mta1`), { timeout: 10_000 }).toEqual([]);
      await bed.expectDrained();
      await bed.expectStopsCleanly(b);
    } finally {
      clearInterval(watch);
      await bed.close();
    }
  });
});

/** Fan-out: each message to 2 recipients in each of 4 domains, so each domain's delivery reads only its own (readForQueue). */
const FAN_TOTAL = 300;
const FAN_DOMAINS = 4;

describe('fan-out messages while a delivery process is killed with SIGKILL', () => {
  it('delivers every recipient of every domain, each delivery with exactly its domain’s recipients', { timeout: 180_000 }, async () => {
    const bed = await openCrashBed({ receiver: { replyDelayMs: 5 }, config: (port) => deliveryConfig({ port, maxSmtpOut: MAX_SMTP_OUT }) });
    const receiver = bed.receiver!;
    const a = bed.startDelivery();
    const b = bed.startDelivery();
    // Deflated when stored (over 1 KB): each process inflates it once and keeps it for the other domains.
    const filler = 'a line of body text that is long enough to be worth deflating\r\n'.repeat(40);
    const rcpts = (i: number) =>
      Array.from({ length: FAN_DOMAINS * 2 }, (_, k) => ({ address: `u${k}.${i}@fan${k % FAN_DOMAINS}.example`, domain: `fan${k % FAN_DOMAINS}.example` }));
    try {
      await bed.waitStarted(a, b);
      for (let i = 0; i < FAN_TOTAL; i++) {
        await bed.store.enqueue(seqMessage(i, rcpts(i).map((r) => r.address), { subject: 'fan-out crash test', filler }));
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
      const duplicates = bed.duplicates(FAN_TOTAL * FAN_DOMAINS);
      console.info(`fan-out crash test: ${FAN_TOTAL} messages × ${FAN_DOMAINS} domains, ${duplicates} duplicate deliveries`);
      // Only what was on the wire at the kill: at most max-smtp-out connections per domain.
      expect(duplicates).toBeLessThanOrEqual(MAX_SMTP_OUT * FAN_DOMAINS);
      await bed.expectDrained();
      await bed.expectStopsCleanly(b);
    } finally {
      await bed.close();
    }
  });
});

/** Rerouted queues (reroute-to-virtual-mta): the mail stays in domain/mta1, the connections are mta2's. */
const REROUTE_TOTAL = 400;

describe('kill -9 of a delivery process delivering a rerouted queue', () => {
  it('loses nothing and sends nothing twice outside the §6.1 window; every connection is mta2\'s', { timeout: 120_000 }, async () => {
    const bed = await openCrashBed({
      receiver: { replyDelayMs: 10 },
      config: (port) =>
        deliveryConfig({
          port,
          maxSmtpOut: MAX_SMTP_OUT,
          top: ['<virtual-mta mta2>', '  smtp-source-host 127.0.0.3 mta2.example.test', '</virtual-mta>'],
          domain: ['  reroute-to-virtual-mta mta2'],
        }),
    });
    const receiver = bed.receiver!;
    const a = bed.startDelivery();
    const b = bed.startDelivery();
    try {
      await bed.waitStarted(a, b);
      for (let i = 0; i < REROUTE_TOTAL; i++) await bed.store.enqueue(seqMessage(i, [`r${i}@via${i % 2}.example`], { subject: 'reroute crash' }));
      await expect.poll(() => receiver.messages.length, { timeout: 30_000, interval: 20 }).toBeGreaterThan(REROUTE_TOTAL / 10);
      const mark = bed.kill(a);
      await bed.waitArrived(REROUTE_TOTAL, { timeoutMs: 60_000, intervalMs: 100 });
      bed.expectTwiceOnlyOnTheWire(mark);
      console.info(`reroute crash test: ${REROUTE_TOTAL} messages, killed after ${mark.arrived}, ${bed.duplicates(REROUTE_TOTAL)} duplicate(s)`);
      expect(bed.duplicates(REROUTE_TOTAL)).toBeLessThanOrEqual(2 * MAX_SMTP_OUT);
      expect(receiver.connections.length).toBeGreaterThan(0);
      // A connection the kill cut before its EHLO has no HELO name: its source address still says whose it was.
      expect(receiver.connections.every((c) => c.remoteAddress.endsWith('127.0.0.3') && (c.heloName === 'mta2.example.test' || c.heloName === ''))).toBe(true);
      for (const q of ['via0.example/mta1', 'via1.example/mta1']) await expect.poll(() => bed.store.queued(q), { timeout: 10_000 }).toEqual([]);
      await bed.expectDrained();
      await bed.expectStopsCleanly(b);
    } finally {
      await bed.close();
    }
  });
});

/** 8-bit mail to a next hop without 8BITMIME: converted at delivery (RFC 6152), and a kill -9 loses none of it. */
const EIGHT_BIT_TOTAL = 600;

describe('8-bit mail converted for a next hop without 8BITMIME while a delivery process is killed with SIGKILL', () => {
  it('delivers every message, each as quoted-printable 7-bit', { timeout: 180_000 }, async () => {
    const bed = await openCrashBed({ receiver: { offer8bitmime: false }, config: (port) => deliveryConfig({ port, maxSmtpOut: MAX_SMTP_OUT }) });
    const receiver = bed.receiver!;
    const b = bed.startDelivery();
    try {
      const mark = await feedAndKill(bed, b, EIGHT_BIT_TOTAL, (i) => seqMessage(i, [`r${i % 5}@eight${i % 3}.example`], { subject: 'eight-bit', filler: 'Déjà vu ' }));
      await bed.waitArrived(EIGHT_BIT_TOTAL, { timeoutMs: 120_000, intervalMs: 500 });
      expect(mark.arrived).toBeLessThan(EIGHT_BIT_TOTAL);
      for (const m of receiver.messages) {
        expect(Buffer.from(m.body, 'utf8').every((byte) => byte < 0x80)).toBe(true);
        expect(m.body).toContain('Content-Transfer-Encoding: quoted-printable');
        expect(m.body).toMatch(/\r\n\r\nD=C3=A9j=C3=A0 vu message \d+\r\n/);
      }
      expect(bed.duplicates(EIGHT_BIT_TOTAL)).toBeLessThanOrEqual(MAX_SMTP_OUT * 3);
      await bed.expectDrained();
    } finally {
      await bed.close();
    }
  });
});

/** Lines over 998 octets (RFC 5322 §2.1.1): encoded at delivery for any next hop, and a kill -9 loses none of it. */
const LONG_LINE_TOTAL = 600;

describe('mail with lines over 998 octets encoded at delivery while a delivery process is killed with SIGKILL', () => {
  it('delivers every message, no line over 998, 8-bit short lines untouched to a next hop with 8BITMIME', { timeout: 180_000 }, async () => {
    const bed = await openCrashBed({ receiver: {}, config: (port) => deliveryConfig({ port, maxSmtpOut: MAX_SMTP_OUT }) });
    const receiver = bed.receiver!;
    const b = bed.startDelivery();
    const long = (i: number): string => `${String(i).padStart(4, '0')}${'L'.repeat(1500)}`;
    try {
      const filler = (i: number): string => (i % 2 === 0 ? `${long(i)}\r\n` : 'Déjà vu ');
      const mark = await feedAndKill(bed, b, LONG_LINE_TOTAL, (i) => seqMessage(i, [`r${i % 5}@long${i % 3}.example`], { subject: 'long lines', filler: filler(i) }));
      await bed.waitArrived(LONG_LINE_TOTAL, { timeoutMs: 120_000, intervalMs: 500 });
      expect(mark.arrived).toBeLessThan(LONG_LINE_TOTAL);
      for (const m of receiver.messages) {
        expect(Math.max(...Buffer.from(m.body, 'utf8').toString('latin1').split('\r\n').map((l) => l.length))).toBeLessThanOrEqual(998);
        const seq = Number(/X-Seq: (\d+)/.exec(m.body)![1]);
        if (seq % 2 === 0) {
          expect(m.body).toContain('Content-Transfer-Encoding: quoted-printable');
          expect(m.body.slice(m.body.indexOf('\r\n\r\n') + 4).replace(/=\r\n/g, '')).toBe(`${long(seq)}\r\nmessage ${seq}\r\n`);
        } else {
          expect(m.body).toMatch(/\r\n\r\nDéjà vu message \d+\r\n/);
        }
      }
      expect(bed.duplicates(LONG_LINE_TOTAL)).toBeLessThanOrEqual(MAX_SMTP_OUT * 3);
      await bed.expectDrained();
    } finally {
      await bed.close();
    }
  });
});

/** NUL bytes (RFC 6152 §2: never sent, not even with 8BITMIME): encoded or dropped before signing, and a kill -9 loses none of it. */
const NUL_TOTAL = 600;

describe('mail holding NUL bytes, signed at delivery, while a delivery process is killed with SIGKILL', () => {
  it('delivers every message without a NUL, its part quoted-printable, with a signature mailauth verifies', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-crash-nul-'));
    const key = writeTestKey(dir, 'rsa', 'rsa');
    const dns = await startTestDnsServer({ address: '127.0.0.1', zone: { 'rsa1._domainkey.example.com': { TXT: [key.txt] } } });
    const bed = await openCrashBed({
      receiver: {},
      config: (port) => deliveryConfig({ port, maxSmtpOut: MAX_SMTP_OUT, top: [`domain-key rsa1,example.com,${key.file}`], domain: ['  dkim-sign yes'] }),
    });
    const receiver = bed.receiver!;
    const b = bed.startDelivery();
    const body = (i: number): Buffer => Buffer.from(`From: a@example.com\r\nSubject: nul\x00 ${i}\r\nX-Seq: ${i}\r\n\r\nbefore\x00after ${i}\r\n`, 'latin1');
    try {
      const mark = await feedAndKill(bed, b, NUL_TOTAL, (i) => seqMessage(i, [`r${i % 5}@nul${i % 3}.example`], { subject: 'nul', over: { body: body(i) } }));
      await bed.waitArrived(NUL_TOTAL, { timeoutMs: 120_000, intervalMs: 500 });
      expect(mark.arrived).toBeLessThan(NUL_TOTAL);
      for (const m of receiver.messages) {
        const seq = Number(/X-Seq: (\d+)/.exec(m.body)![1]);
        expect(m.body).not.toContain('\x00');
        expect(m.body).toContain(`\r\nSubject: nul ${seq}\r\n`);
        expect(m.body).toContain(`Content-Transfer-Encoding: quoted-printable\r\nMIME-Version: 1.0\r\n\r\nbefore=00after ${seq}\r\n`);
      }
      for (const m of receiver.messages.slice(0, 3).concat(receiver.messages.slice(-3))) {
        expect((await verifyWithMailauth(Buffer.from(m.body, 'utf8'), dns.server)).map((r) => r.pass)).toEqual([true]);
      }
      expect(bed.duplicates(NUL_TOTAL)).toBeLessThanOrEqual(MAX_SMTP_OUT * 3);
      await bed.expectDrained();
    } finally {
      await bed.close();
      await dns.close();
    }
  });
});
