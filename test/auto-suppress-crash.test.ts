/**
 * kill -9 of a delivery process while hard bounces are being recorded: every hard-bounced recipient
 * ends up in the suppression store exactly once (one entry per address, none missing), and none
 * stays queued. Auto-suppression runs before the outcome is recorded (worker/auto-suppress.ts): a
 * process killed between the two leaves the recipient queued, and whoever takes the mail bounces it
 * again and writes the same entry again; recorded first, that window lost the suppression.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { Keys, MessageStore, SuppressionStore } from '@vmta/queue';
import { startReceiver } from '@vmta/delivery/testing';
import { seqMessage } from './support/crash-bed.js';
import { startDeliveryProcess } from './support/delivery-process.js';

const TOTAL = 600;
const DOMAINS = 3;

describe('auto-suppression while a delivery process is killed with SIGKILL', () => {
  it('suppresses every hard-bounced recipient exactly once', { timeout: 300_000 }, async () => {
    const t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    // Every recipient is unknown: 550 5.1.1 (bad-mailbox), a category auto-suppress takes.
    const receiver = await startReceiver({ host: '127.0.0.10', startTls: false, rcptReply: () => [550, '5.1.1 no such user'] });
    const conf = path.join(mkdtempSync(path.join(tmpdir(), 'vmta-suppress-crash-')), 'vmta.conf');
    writeFileSync(conf, ['<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 mta1.example.test', '</virtual-mta>', '<domain *>', `  smtp-hosts [127.0.0.10]:${receiver.port}`, '  max-smtp-out 4', '  retry-after 2s', '</domain>'].join('\n'));
    const redis = new Redis(t.url);
    const store = new MessageStore(redis, { prefix });
    const suppressions = new SuppressionStore(redis, prefix);
    const a = startDeliveryProcess(conf, t.url, prefix);
    const b = startDeliveryProcess(conf, t.url, prefix);
    const addresses = Array.from({ length: TOTAL }, (_, i) => `gone${i}@sup${i % DOMAINS}.example`);
    const entries = async () => {
      const tenants = await suppressions.tenants();
      return (await Promise.all(tenants.map((tenant) => suppressions.count(tenant)))).reduce((n, c) => n + c, 0);
    };
    try {
      await expect.poll(() => a.output().includes('"event":"started"') && b.output().includes('"event":"started"'), { timeout: 90_000 }).toBe(true);
      for (const [i, address] of addresses.entries()) {
        // The null sender: no DSN comes back to be bounced (and suppressed) in turn.
        const over = { mailFrom: '', source: { ip: '127.0.0.9', listener: 'test', authUser: 'tenant-a' } };
        await store.enqueue(seqMessage(i, [address], { subject: 'suppress crash test', over }));
      }
      await expect.poll(entries, { timeout: 60_000, interval: 20 }).toBeGreaterThan(TOTAL / 10);
      a.child.kill('SIGKILL');
      const atKill = await entries();
      await expect.poll(entries, { timeout: 120_000, interval: 500 }).toBe(TOTAL);
      for (let d = 0; d < DOMAINS; d++) await expect.poll(() => store.queued(`sup${d}.example/mta1`), { timeout: 30_000 }).toEqual([]);
      // One store (the sender's tenant), each address in it once, every one of them there.
      const tenants = await suppressions.tenants();
      expect(tenants).toEqual(['user:tenant-a']);
      const stored: string[] = [];
      for await (const batch of suppressions.entries('user:tenant-a')) stored.push(...batch.map((s) => s.address));
      expect(stored.sort()).toEqual([...addresses].sort());
      expect(new Set(stored).size).toBe(TOTAL);
      const all = await suppressions.lookup('user:tenant-a', addresses[0]!);
      expect(all).toMatchObject({ reason: 'bad-mailbox' });
      // No message left behind in Redis.
      await expect.poll(() => redis.keys(`${new Keys(prefix).prefix}:{m:*`), { timeout: 10_000 }).toEqual([]);
      console.info(`auto-suppress crash test: ${TOTAL} hard bounces, ${atKill} suppressed at kill -9, ${stored.length} entries at the end`);
    } finally {
      for (const p of [a, b]) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await store.dispatcher.close();
      redis.disconnect();
      await receiver.close();
      await t.cleanup();
    }
  });
});
