/**
 * kill -9 of a delivery process while it moves mail into a rolled-up queue and delivers it: every
 * message arrives, none twice outside the RFC 5321 §6.1 window (on the wire at the kill). The
 * messages are enqueued into their domains' own queues (as the listener does before delivery has
 * recorded a rollup), so every one of them is moved to provider.rollup/mta1 by
 * scripts/move-to-queue.ts, while two processes work and one is killed. Real DNS packets (test DNS
 * server, `name-server`), real SMTP on loopback.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { MessageStore, QueueOps } from '@vmta/queue';
import { startDeliveryProcess } from './support/delivery-process.js';
import { startReceiver, startTestDnsServer } from '@vmta/delivery/testing';

const TOTAL = 1000;
const DOMAINS = 3;
const SHARED = 2;


describe('MX rollup: kill -9 of a delivery process while it moves and delivers', () => {
  it('delivers every message exactly once (outside the §6.1 window)', { timeout: 180_000 }, async () => {
    const t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    const zone = Object.fromEntries([
      ...Array.from({ length: DOMAINS }, (_, d) => [`roll${d}.example`, { MX: [{ preference: 10, exchange: 'mx1.provider.test' }] }] as const),
      ['mx1.provider.test', { A: ['127.0.0.10'] }] as const,
    ]);
    const dns = await startTestDnsServer({ address: '127.0.0.1', zone });
    const receiver = await startReceiver({ host: '127.0.0.10', startTls: false, replyDelayMs: 20 });
    const conf = path.join(mkdtempSync(path.join(tmpdir(), 'vmta-rollup-crash-')), 'vmta.conf');
    writeFileSync(
      conf,
      [
        `name-server ${dns.server.ip}:${dns.server.port}`,
        '<virtual-mta mta1>',
        '  smtp-source-host 127.0.0.2 mta1.example.test',
        '</virtual-mta>',
        '<mx-rollup-list>',
        '  mx mx1.provider.test provider.rollup',
        '</mx-rollup-list>',
        '<domain *>',
        `  default-smtp-port ${receiver.port}`,
        '  max-smtp-out 4',
        '  retry-after 2s',
        '</domain>',
        '<domain provider.rollup>',
        `  max-smtp-out ${SHARED}`,
        '</domain>',
      ].join('\n'),
    );
    const redis = new Redis(t.url);
    const store = new MessageStore(redis, { prefix });
    const ops = new QueueOps(redis, prefix);
    // A works alone first, so it holds the slots when it is killed; B starts before the kill and takes them back.
    const a = startDeliveryProcess(conf, t.url, prefix);
    let b: ReturnType<typeof startDeliveryProcess> | undefined;
    try {
      await expect.poll(() => a.output().includes('"event":"started"'), { timeout: 20_000 }).toBe(true);
      const feeding = (async () => {
        for (let i = 0; i < TOTAL; i++) {
          const domain = `roll${i % DOMAINS}.example`;
          await store.enqueue({
            mailFrom: 'sender@example.org',
            recipients: [{ address: `r${i}@${domain}`, domain }],
            body: Buffer.from(`Subject: rollup crash\r\nX-Seq: ${i}\r\n\r\nmessage ${i}\r\n`),
            vmta: 'mta1',
            source: { ip: '127.0.0.9', listener: 'test' },
            receivedAt: Date.now(),
          });
        }
      })();
      // Kill A while it holds a slot (of a domain queue it moves mail from, or of the rolled-up one).
      const held = async () => (await redis.smembers(`${prefix}:proc:${a.output().match(/"processId":"([^"]+)"/)?.[1]}:slots`)).length;
      await expect.poll(async () => receiver.messages.length > TOTAL / 20 && (await held()) > 0, { timeout: 30_000, interval: 10 }).toBe(true);
      const second = startDeliveryProcess(conf, t.url, prefix);
      b = second;
      await expect.poll(() => second.output().includes('"event":"started"'), { timeout: 20_000 }).toBe(true);
      expect(await held()).toBeGreaterThan(0);
      a.child.kill('SIGKILL');
      const arrivedBeforeKill = receiver.messages.length;
      await feeding;
      const seqs = () => receiver.messages.map((m) => Number(/X-Seq: (\d+)/.exec(m.body)?.[1]));
      await expect.poll(() => new Set(seqs()).size, { timeout: 120_000, interval: 500 }).toBe(TOTAL);
      await new Promise((r) => setTimeout(r, 200));
      const all = seqs();
      expect(arrivedBeforeKill).toBeLessThan(TOTAL);
      const twice = [...new Set(all.filter((s, i) => all.indexOf(s) !== i))];
      console.info(`rollup crash test: ${TOTAL} messages, ${arrivedBeforeKill} arrived before kill -9, ${all.length - TOTAL} duplicate(s)`);
      // A message that arrived twice had its first copy at the receiver before the kill: it was on the wire.
      for (const s of twice) expect(all.indexOf(s)).toBeLessThan(arrivedBeforeKill);
      expect(all.length - TOTAL).toBeLessThanOrEqual(SHARED);
      // All of it went through the rolled-up queue; nothing is left anywhere.
      await expect.poll(async () => (await ops.stats('provider.rollup/mta1')).delivered, { timeout: 10_000 }).toBe(TOTAL);
      for (let d = 0; d < DOMAINS; d++) await expect.poll(() => store.queued(`roll${d}.example/mta1`), { timeout: 10_000 }).toEqual([]);
      await expect.poll(() => redis.keys(`${t.prefix}{m:*`), { timeout: 10_000 }).toEqual([]);
    } finally {
      for (const p of [a, b]) if (p && p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await store.dispatcher.close();
      redis.disconnect();
      await receiver.close();
      await dns.close();
      await t.cleanup();
    }
  });
});
