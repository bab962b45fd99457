/**
 * A delivery process stopped (SIGSTOP) mid-transaction long enough to lose its tokens' locks, then
 * let go on (SIGCONT): another process has taken its tokens and finished its mail, and the stopped
 * one now finishes the same messages again. Every recipient of messages spread over two domains,
 * one of which defers each recipient once, still reaches the receiver: the repeated finish of one
 * domain must not delete a message whose recipient in the other domain is still queued.
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
import { seqMessage } from './support/crash-bed.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const TOTAL = 150;

function startDeliveryProcess(conf: string, redisUrl: string, prefix: string): { child: ChildProcess; started: () => boolean } {
  const child = spawn(process.execPath, [path.join(here, 'fixtures/delivery-process.mjs'), conf], {
    env: { ...process.env, REDIS_URL: redisUrl, VMTA_PREFIX: prefix, STALLED_INTERVAL_MS: '500' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, started: () => out.includes('started') };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a delivery process that lost its locks while its transactions went on', () => {
  it('finishes its messages again without losing a recipient of another domain', { timeout: 180_000 }, async () => {
    const t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    const deferredOnce = new Set<string>();
    const receiver = await startReceiver({
      host: '127.0.0.10',
      startTls: false,
      replyDelayMs: 300,
      // Each recipient of the b domains is deferred at its first attempt: it stays queued a while.
      rcptReply: (a) => (a.includes('@b') && !deferredOnce.has(a) ? (deferredOnce.add(a), [451, '4.2.0 try again']) : undefined),
    });
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-locklost-'));
    const conf = path.join(dir, 'vmta.conf');
    writeFileSync(
      conf,
      ['<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 mta1.example.test', '</virtual-mta>', '<domain *>', `  smtp-hosts [127.0.0.10]:${receiver.port}`, '  max-smtp-out 3', '  retry-after 1s', '  retry-recipients-after 10s', '</domain>'].join('\n'),
    );
    const redis = new Redis(t.url);
    const store = new MessageStore(redis, { prefix });
    const a = startDeliveryProcess(conf, t.url, prefix);
    const b = startDeliveryProcess(conf, t.url, prefix);
    try {
      await expect.poll(() => a.started() && b.started(), { timeout: 20_000 }).toBe(true);
      for (let i = 0; i < TOTAL; i++) {
        await store.enqueue(seqMessage(i, [`m${i}@a${i % 3}.example`, `m${i}@b${i % 3}.example`], { subject: 'lock lost' }));
      }
      // Stop A mid-transaction three times, each time past its locks (1 s) and the stalled check (0.5 s).
      for (let round = 0; round < 3; round++) {
        await sleep(700);
        a.child.kill('SIGSTOP');
        await sleep(2_500);
        a.child.kill('SIGCONT');
      }
      const delivered = () => new Set(receiver.messages.flatMap((m) => m.to));
      await expect.poll(() => delivered().size, { timeout: 90_000, interval: 500 }).toBe(TOTAL * 2);
      await expect.poll(() => redis.keys(`${t.prefix}{m:*`), { timeout: 20_000 }).toEqual([]);
    } finally {
      for (const p of [a, b]) {
        p.child.kill('SIGCONT');
        p.child.kill('SIGKILL');
      }
      await store.dispatcher.close();
      redis.disconnect();
      await receiver.close();
      await t.cleanup();
    }
  });
});
