/**
 * kill -9 of a delivery process while source IPs are being disabled and re-enabled: a VMTA with two
 * source IPs (127.0.0.2, .3) sends to a receiver that refuses every recipient from 127.0.0.2 with a
 * reply a disable-source-ip rule matches (re-enabled after 2 s, so the IP keeps coming back and
 * being taken out again). Every message reaches the receiver (from 127.0.0.3: the refused IP's share
 * only arrives because disable-source-ip moved it), and a message
 * arrives twice only if it was on the wire at the kill (RFC 5321 §6.1).
 */
import { describe, expect, it } from 'vitest';
import { deliveryConfig, openCrashBed, seqMessage } from './support/crash-bed.js';

const TOTAL = 400;
const MAX_SMTP_OUT = 3;
const DOMAINS = 3;

describe('kill -9 of a delivery process while disable-source-ip takes an IP out and back', () => {
  it('loses nothing: the mail of the refused IP goes from the other one, each message once outside the §6.1 window', { timeout: 180_000 }, async () => {
    const bed = await openCrashBed({
      receiver: { rcptReply: (_a, ip) => (ip === '127.0.0.2' ? [421, '4.7.0 blocked ip'] : undefined) },
      config: (port) =>
        deliveryConfig({
          port,
          maxSmtpOut: MAX_SMTP_OUT,
          sourceHosts: ['127.0.0.2 a.mta1.test', '127.0.0.3 b.mta1.test'],
          top: ['<smtp-pattern-list sources>', '  reply /blocked ip/ disable-source-ip reenable-after=2s', '</smtp-pattern-list>'],
          domain: ['  retry-recipients-after 1s', '  smtp-pattern-list sources'],
        }),
    });
    const { redis, prefix, store } = bed;
    const receiver = bed.receiver!;
    const a = bed.startDelivery();
    const b = bed.startDelivery();
    try {
      await bed.waitStarted(a, b);
      await expect.poll(() => redis.zcard(`${prefix}:procs`), { timeout: 10_000 }).toBe(2);
      for (let i = 0; i < TOTAL; i++) await store.enqueue(seqMessage(i, [`r${i}@src${i % DOMAINS}.example`], { subject: 'source crash test' }));
      await expect.poll(() => receiver.messages.length, { timeout: 30_000, interval: 20 }).toBeGreaterThan(TOTAL / 10);
      const mark = bed.kill(a);
      await bed.waitArrived(TOTAL, { timeoutMs: 90_000, intervalMs: 200 });
      bed.expectTwiceOnlyOnTheWire(mark);
      console.info(`source-disable crash test: ${TOTAL} messages, ${mark.arrived} before kill -9, ${bed.duplicates(TOTAL)} duplicate(s) (on the wire at the kill)`);
      // 127.0.0.2 never takes a recipient: the half of them it would carry arrived only because it was taken out of use.
      expect(new Set(receiver.messages.map((m) => m.clientIp))).toEqual(new Set(['127.0.0.3']));
      expect(b.output()).toContain('"event":"source-disabled"');
      for (let d = 0; d < DOMAINS; d++) await expect.poll(() => store.queued(`src${d}.example/mta1`), { timeout: 10_000 }).toEqual([]);
      await bed.expectDrained();
      await bed.expectStopsCleanly(b);
    } finally {
      await bed.close();
    }
  });
});
