/**
 * kill -9 of a delivery process while it delivers: every queued message still
 * reaches the receiver (another process takes the dead one's tokens back), and
 * duplicates stay within the messages that were on the wire at the kill.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { MessageStore } from '@vmta/queue';
import { startReceiver } from '@vmta/delivery/testing';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TOTAL = 2000;
const MAX_SMTP_OUT = 4;

function startDeliveryProcess(conf: string, redisUrl: string, prefix: string): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [path.join(root, 'packages/cli/dist/main.js'), 'start', '--role', 'delivery', '--config', conf], {
    env: { ...process.env, REDIS_URL: redisUrl, VMTA_PREFIX: prefix },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

describe('a delivery process killed with SIGKILL mid-delivery', () => {
  it('loses nothing: the other process delivers every message', { timeout: 180_000 }, async () => {
    const t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    const receiver = await startReceiver({ host: '127.0.0.10', startTls: false });
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-dcrash-'));
    const conf = path.join(dir, 'vmta.conf');
    writeFileSync(
      conf,
      [
        '<virtual-mta mta1>',
        '  smtp-source-host 127.0.0.2 mta1.example.test',
        '</virtual-mta>',
        '<domain *>',
        `  smtp-hosts [127.0.0.10]:${receiver.port}`,
        `  max-smtp-out ${MAX_SMTP_OUT}`,
        '  retry-after 2s',
        '</domain>',
      ].join('\n'),
    );
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
