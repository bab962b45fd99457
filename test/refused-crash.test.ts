/**
 * kill -9 of a delivery process while it bounces recipients accepted although suppressed
 * (accept-invalid-recipients: the listener queues them marked `refused`). Each message has one
 * ordinary and one refused recipient in the same queue. After the kill the other process finishes:
 * every ordinary recipient is delivered, no refused one ever reaches the receiver, each refused one
 * has exactly one `b` record (recordOutcomes is idempotent) and at least one DSN (a DSN is queued
 * before the outcome is recorded, so a kill in between repeats it rather than losing it).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { Keys, MessageStore } from '@vmta/queue';
import { startReceiver } from '@vmta/delivery/testing';
import { seqMessage } from './support/crash-bed.js';
import { startDeliveryProcess } from './support/delivery-process.js';

const TOTAL = 600;

describe('refused recipients while a delivery process is killed with SIGKILL', () => {
  it('bounces every refused recipient once (b record, DSN), delivers every other, and never delivers a refused one', { timeout: 180_000 }, async () => {
    const t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    const receiver = await startReceiver({ host: '127.0.0.10', startTls: false });
    const conf = path.join(mkdtempSync(path.join(tmpdir(), 'vmta-refcrash-')), 'vmta.conf');
    writeFileSync(conf, ['host-name mx.refcrash.example', 'event-stream yes', '<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 mta1.example.test', '</virtual-mta>', '<domain *>', `  smtp-hosts [127.0.0.10]:${receiver.port}`, '  max-smtp-out 4', '  retry-after 2s', '</domain>'].join('\n'));
    const redis = new Redis(t.url);
    const store = new MessageStore(redis, { prefix });
    const a = startDeliveryProcess(conf, t.url, prefix);
    const b = startDeliveryProcess(conf, t.url, prefix);
    try {
      await expect.poll(() => a.output().includes('"event":"started"') && b.output().includes('"event":"started"'), { timeout: 60_000 }).toBe(true);
      const refused = { code: 550, enhancedCode: '5.7.1', text: 'recipient is in suppression list "blocked"' };
      const feeding = (async () => {
        for (let i = 0; i < TOTAL; i++) {
          const domain = `rc${i % 3}.example`;
          const recipients = [
            { address: `ok${i}@${domain}`, domain },
            { address: `no${i}@${domain}`, domain, refused },
          ];
          // The recipients whole (one of them refused), so none from the address list.
          await store.enqueue(seqMessage(i, [], { subject: 'refused crash test', over: { mailFrom: `sender${i}@origin.example`, recipients } }));
        }
      })();
      await expect.poll(() => receiver.messages.length, { timeout: 60_000 }).toBeGreaterThan(TOTAL / 10);
      a.child.kill('SIGKILL');
      const killedAt = receiver.messages.length;
      await feeding;
      const delivered = () => new Set(receiver.messages.filter((m) => m.from !== '').map((m) => Number(/X-Seq: (\d+)/.exec(m.body)?.[1])));
      const dsnSenders = () => new Set(receiver.messages.filter((m) => m.from === '').map((m) => m.to[0]));
      await expect.poll(() => delivered().size, { timeout: 120_000, interval: 500 }).toBe(TOTAL);
      await expect.poll(() => dsnSenders().size, { timeout: 120_000, interval: 500 }).toBe(TOTAL);
      expect(receiver.messages.filter((m) => m.to.some((r) => r.startsWith('no')))).toEqual([]);
      const records = (await redis.xrange(new Keys(prefix).accounting(), '-', '+')).map(([, f]) => ({ type: f[f.indexOf('type') + 1], rcpt: f[f.indexOf('rcpt') + 1] }));
      const bounces = records.filter((r) => r.type === 'b');
      expect(bounces).toHaveLength(TOTAL);
      expect(new Set(bounces.map((r) => r.rcpt)).size).toBe(TOTAL);
      expect(bounces.every((r) => r.rcpt!.startsWith('no'))).toBe(true);
      const dsns = receiver.messages.filter((m) => m.from === '').length;
      console.info(`refused crash test: ${TOTAL} messages, killed after ${killedAt} arrived, ${dsns - TOTAL} repeated DSN(s), ${receiver.messages.length - dsns - TOTAL} duplicate deliveries`);
      for (let d = 0; d < 3; d++) await expect.poll(() => store.queued(`rc${d}.example/mta1`), { timeout: 10_000 }).toEqual([]);
    } finally {
      for (const p of [a, b]) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await store.dispatcher.close();
      redis.disconnect();
      await receiver.close();
      await t.cleanup();
    }
  });
});
