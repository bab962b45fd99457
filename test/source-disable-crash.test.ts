/**
 * kill -9 of a delivery process while source IPs are being disabled and re-enabled: a VMTA with two
 * source IPs (127.0.0.2, .3) sends to a receiver that refuses every recipient from 127.0.0.2 with a
 * reply a disable-source-ip rule matches (re-enabled after 2 s, so the IP keeps coming back and
 * being taken out again). Every message reaches the receiver (from 127.0.0.3: the refused IP's share
 * only arrives because disable-source-ip moved it), and a message
 * arrives twice only if it was on the wire at the kill (RFC 5321 §6.1).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { MessageStore } from '@vmta/queue';
import { startReceiver } from '@vmta/delivery/testing';
import { startDeliveryProcess } from './support/delivery-process.js';

const TOTAL = 400;
const MAX_SMTP_OUT = 3;
const DOMAINS = 3;

describe('kill -9 of a delivery process while disable-source-ip takes an IP out and back', () => {
  it('loses nothing: the mail of the refused IP goes from the other one, each message once outside the §6.1 window', { timeout: 180_000 }, async () => {
    const t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    const receiver = await startReceiver({ host: '127.0.0.10', startTls: false, rcptReply: (_a, ip) => (ip === '127.0.0.2' ? [421, '4.7.0 blocked ip'] : undefined) });
    const conf = path.join(mkdtempSync(path.join(tmpdir(), 'vmta-srccrash-')), 'vmta.conf');
    writeFileSync(
      conf,
      [
        '<virtual-mta mta1>',
        '  smtp-source-host 127.0.0.2 a.mta1.test',
        '  smtp-source-host 127.0.0.3 b.mta1.test',
        '</virtual-mta>',
        '<smtp-pattern-list sources>',
        '  reply /blocked ip/ disable-source-ip reenable-after=2s',
        '</smtp-pattern-list>',
        '<domain *>',
        `  smtp-hosts [127.0.0.10]:${receiver.port}`,
        `  max-smtp-out ${MAX_SMTP_OUT}`,
        '  retry-after 2s',
        '  retry-recipients-after 1s',
        '  smtp-pattern-list sources',
        '</domain>',
      ].join('\n'),
    );
    const redis = new Redis(t.url);
    const store = new MessageStore(redis, { prefix });
    const a = startDeliveryProcess(conf, t.url, prefix);
    const b = startDeliveryProcess(conf, t.url, prefix);
    try {
      await expect.poll(() => a.output().includes('"event":"started"') && b.output().includes('"event":"started"'), { timeout: 20_000 }).toBe(true);
      await expect.poll(() => redis.zcard(`${prefix}:procs`), { timeout: 10_000 }).toBe(2);
      for (let i = 0; i < TOTAL; i++) {
        await store.enqueue({
          mailFrom: 'sender@example.org',
          recipients: [{ address: `r${i}@src${i % DOMAINS}.example`, domain: `src${i % DOMAINS}.example` }],
          body: Buffer.from(`Subject: source crash test\r\nX-Seq: ${i}\r\n\r\nmessage ${i}\r\n`),
          vmta: 'mta1',
          source: { ip: '127.0.0.9', listener: 'test' },
          receivedAt: Date.now(),
        });
      }
      await expect.poll(() => receiver.messages.length, { timeout: 30_000, interval: 20 }).toBeGreaterThan(TOTAL / 10);
      a.child.kill('SIGKILL');
      const arrivedBeforeKill = receiver.messages.length;
      const seqs = () => receiver.messages.map((m) => Number(/X-Seq: (\d+)/.exec(m.body)?.[1]));
      await expect.poll(() => new Set(seqs()).size, { timeout: 90_000, interval: 200 }).toBe(TOTAL);
      const all = seqs();
      const twice = [...new Set(all.filter((s, i) => all.indexOf(s) !== i))];
      for (const s of twice) expect(all.indexOf(s)).toBeLessThan(arrivedBeforeKill);
      console.info(`source-disable crash test: ${TOTAL} messages, ${arrivedBeforeKill} before kill -9, ${all.length - TOTAL} duplicate(s) (on the wire at the kill)`);
      // 127.0.0.2 never takes a recipient: the half of them it would carry arrived only because it was taken out of use.
      expect(new Set(receiver.messages.map((m) => m.clientIp))).toEqual(new Set(['127.0.0.3']));
      expect(b.output()).toContain('"event":"source-disabled"');
      for (let d = 0; d < DOMAINS; d++) await expect.poll(() => store.queued(`src${d}.example/mta1`), { timeout: 10_000 }).toEqual([]);
      await expect.poll(() => redis.keys(`${t.prefix}{m:*`), { timeout: 10_000 }).toEqual([]);
      b.child.kill('SIGTERM');
      expect(await new Promise((resolve) => b.child.once('exit', resolve))).toBe(0);
    } finally {
      for (const p of [a, b]) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await store.dispatcher.close();
      redis.disconnect();
      await receiver.close();
      await t.cleanup();
    }
  });
});
