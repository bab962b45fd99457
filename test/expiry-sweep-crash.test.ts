/**
 * The bounce-after sweeper through kill -9: two real `vmta start --role delivery` processes, many
 * queues whose next hop refuses connections (so the mail stays queued, in retry mode) with a short
 * bounce-after. Once the sweep has bounced some of the mail, the process holding the sweep lock is
 * killed with SIGKILL; the other one takes the lock over when it lapses and finishes. Every
 * recipient is bounced exactly once (one `b` record each), every message is gone, no queue is left
 * in the index but the DSNs' own, and each recipient got a DSN, twice only when its message was in
 * the killed sweeper's hands (its sweep slot) at the kill.
 */
import { MessageStore } from '@vmta/queue';
import { describe, expect, it } from 'vitest';
import { openCrashBed, seqMessage } from './support/crash-bed.js';

const DOMAINS = 300;
const PER_DOMAIN = 8;
const TOTAL = DOMAINS * PER_DOMAIN;
const SENDER = 'sender@sender.test';
const HOUR = 3_600_000;

describe('the bounce-after sweeper while the process holding its lock is killed with SIGKILL', () => {
  it('bounces every recipient exactly once, loses nothing and leaves nothing queued', { timeout: 240_000 }, async () => {
    const bed = await openCrashBed({
      config: () => [
        'event-stream yes',
        '<virtual-mta mta1>',
        '  smtp-source-host 127.0.0.2 mta1.example.test',
        '</virtual-mta>',
        '<domain *>',
        '  smtp-hosts [127.0.0.10]:9',
        '  retry-after 1h',
        '  bounce-after 3s',
        '</domain>',
        // The DSNs wait in their own queue (same dead next hop) for the test to read.
        '<domain sender.test>',
        '  bounce-after 1h',
        '</domain>',
      ],
    });
    const { redis, prefix } = bed;
    const k = bed.store.keys;
    // A listener that knows bounce-after: the queues enter the index at enqueue.
    const listener = new MessageStore(redis, { prefix, bounceAfter: (ref) => (ref.domain === 'sender.test' ? HOUR : 3_000) });
    bed.onClose(() => listener.dispatcher.close());
    const a = bed.startDelivery();
    const b = bed.startDelivery();
    try {
      await bed.waitStarted(a, b);
      const ids = new Map<string, string>(); // recipient -> message id
      for (let d = 0; d < DOMAINS; d++) {
        const batch = Array.from({ length: PER_DOMAIN }, (_, i) => `r${i}@d${d}.test`);
        const done = await Promise.all(batch.map((to, i) => listener.enqueue(seqMessage(d * PER_DOMAIN + i, [to], { subject: 'expiry crash', over: { mailFrom: SENDER } }))));
        done.forEach(({ id }, i) => ids.set(batch[i]!, id));
      }
      const bounced = async () => Number((await redis.hget(k.totals(), 'bounced')) ?? 0);
      // Kill the lock holder once its sweep is under way.
      await expect.poll(bounced, { timeout: 60_000, interval: 5 }).toBeGreaterThan(200);
      const owner = await redis.get(k.expirySweepLock());
      const holder = [a, b].find((p) => p.output().includes(`"event":"expiry-sweeper-lock-taken","owner":"${owner}"`));
      expect(holder).toBeDefined();
      bed.kill(holder!);
      await new Promise((resolve) => (holder!.child.exitCode !== null || holder!.child.signalCode !== null ? resolve(null) : holder!.child.once('exit', resolve)));
      const atKill = await bounced();
      // The kill came mid-sweep (else this test proves nothing about a crash).
      expect(atKill).toBeLessThan(TOTAL);
      // What the killed sweeper held: the only mail that may get a second DSN.
      const inHand = new Set<string>();
      for (let d = 0; d < DOMAINS; d++) for (const id of await redis.smembers(k.queueInflight(`d${d}.test/mta1`, -1))) inHand.add(id);

      // The other process takes the lapsed lock and finishes.
      await expect.poll(bounced, { timeout: 120_000, interval: 500 }).toBe(TOTAL);
      const p = redis.pipeline();
      for (const id of ids.values()) p.exists(k.messageMeta(id));
      expect(((await p.exec()) ?? []).filter(([, v]) => v === 1)).toEqual([]);
      const bRecords = (await redis.xrange(k.accounting(), '-', '+')).map(([, f]) => f).filter((f) => f[1] === 'b');
      const perRcpt = new Map<string, number>();
      for (const f of bRecords) {
        const rcpt = f[f.indexOf('rcpt') + 1]!;
        perRcpt.set(rcpt, (perRcpt.get(rcpt) ?? 0) + 1);
      }
      expect(perRcpt.size).toBe(TOTAL);
      expect([...perRcpt.values()].filter((n) => n !== 1)).toEqual([]);
      for (let d = 0; d < DOMAINS; d++) {
        const q = `d${d}.test/mta1`;
        expect(await redis.zcard(k.queueAge(q))).toBe(0);
        expect(await redis.scard(k.queueInflight(q, -1))).toBe(0);
      }
      expect(await redis.zrange(k.expiryIndex(), '0', '-1')).toEqual(['sender.test/mta1']);
      // DSNs: one per recipient, a second only for mail the killed sweeper held.
      const dsnIds = await redis.zrange(k.queueAge('sender.test/mta1'), '0', '-1');
      const dsns = new Map<string, number>();
      for (const id of dsnIds) {
        const m = await bed.store.get(id);
        const rcpt = /Final-Recipient: rfc822; (\S+)/.exec(m!.body.toString())![1]!;
        dsns.set(rcpt, (dsns.get(rcpt) ?? 0) + 1);
      }
      expect(dsns.size).toBe(TOTAL);
      const twice = [...dsns].filter(([, n]) => n > 1).map(([rcpt]) => ids.get(rcpt)!);
      expect(twice.filter((id) => !inHand.has(id))).toEqual([]);
      console.log(`expiry sweep crash: ${atKill} of ${TOTAL} bounced at the kill, ${inHand.size} in the sweep slot, ${twice.length} second DSNs`);
    } finally {
      await bed.close();
    }
  });
});
