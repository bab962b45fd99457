/**
 * Limits hold across delivery processes: two `vmta start --role delivery`
 * processes share one queue and together never open more connections than its
 * max-smtp-out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { MessageStore, QueueOps, tokenId } from '@vmta/queue';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { startSlowReceiver } from '../testing/test-smtp-receiver.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const MAX_SMTP_OUT = 2;
const TOTAL = 120;

function deliveryProcess(conf: string, url: string, prefix: string): ChildProcess {
  return spawn(process.execPath, [path.join(root, 'packages/cli/dist/main.js'), 'start', '--role', 'delivery', '--config', conf], {
    env: { ...process.env, REDIS_URL: url, VMTA_PREFIX: prefix },
    stdio: 'ignore',
  });
}

describe('max-smtp-out across delivery processes', () => {
  it('two processes together keep to the queue max-smtp-out', { timeout: 90_000 }, async () => {
    const t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    const receiver = await startSlowReceiver(30);
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-limits-'));
    const conf = path.join(dir, 'vmta.conf');
    writeFileSync(
      conf,
      ['<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 mta1.example.test', '</virtual-mta>', '<domain *>', `  smtp-hosts [127.0.0.10]:${receiver.port}`, `  max-smtp-out ${MAX_SMTP_OUT}`, '  max-msg-per-connection 10', '</domain>'].join('\n'),
    );
    const redis = new Redis(t.url);
    const store = new MessageStore(redis, { prefix });
    const procs = [deliveryProcess(conf, t.url, prefix), deliveryProcess(conf, t.url, prefix)];
    try {
      for (let i = 0; i < TOTAL; i++) {
        await store.enqueue({
          mailFrom: 's@example.org',
          recipients: [{ address: `r${i}@limits.example`, domain: 'limits.example' }],
          body: Buffer.from(`Subject: ${i}\r\n\r\nbody\r\n`),
          vmta: 'mta1',
          source: { ip: '127.0.0.9', listener: 'test' },
          receivedAt: Date.now(),
        });
      }
      await expect.poll(() => receiver.received(), { timeout: 60_000, interval: 200 }).toBe(TOTAL);
      // both slots were used (the limit was reached), never more
      expect(receiver.peak()).toBe(MAX_SMTP_OUT);
    } finally {
      for (const p of procs) p.kill('SIGKILL');
      await store.dispatcher.close();
      redis.disconnect();
      await receiver.close();
      await t.cleanup();
    }
  });

  it('two processes together keep to the queue max-msg-rate', { timeout: 60_000 }, async () => {
    const t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    const receiver = await startSlowReceiver(30);
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-rate-'));
    const conf = path.join(dir, 'vmta.conf');
    writeFileSync(
      conf,
      ['<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 mta1.example.test', '</virtual-mta>', '<domain *>', `  smtp-hosts [127.0.0.10]:${receiver.port}`, '  max-smtp-out 4', '  max-msg-rate 2/h', '</domain>'].join('\n'),
    );
    const redis = new Redis(t.url);
    const store = new MessageStore(redis, { prefix });
    const ops = new QueueOps(redis, prefix);
    const procs = [deliveryProcess(conf, t.url, prefix), deliveryProcess(conf, t.url, prefix)];
    try {
      for (let i = 0; i < 20; i++) {
        await store.enqueue({
          mailFrom: 's@example.org',
          recipients: [{ address: `r${i}@rate.example`, domain: 'rate.example' }],
          body: Buffer.from(`Subject: ${i}\r\n\r\nbody\r\n`),
          vmta: 'mta1',
          source: { ip: '127.0.0.9', listener: 'test' },
          receivedAt: Date.now(),
        });
      }
      // 2/h spaced evenly: the first goes at once, the next not before 30 minutes
      await expect.poll(() => receiver.received(), { timeout: 20_000 }).toBe(1);
      const token = await store.dispatcher.lane('mta1').getJob(tokenId('rate.example/mta1', 0));
      await expect.poll(async () => token && (await token.getState()), { timeout: 10_000 }).toBe('delayed');
      expect((await ops.stats('rate.example/mta1')).queued).toBe(19);
      expect(receiver.received()).toBe(1);
    } finally {
      for (const p of procs) p.kill('SIGKILL');
      await store.dispatcher.close();
      redis.disconnect();
      await receiver.close();
      await t.cleanup();
    }
  });
});

describe('SIGTERM of a delivery process mid-delivery', () => {
  it('exits 0 promptly, hands its mail back, and another process delivers all of it', { timeout: 90_000 }, async () => {
    const t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    const receiver = await startSlowReceiver(30);
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-term-'));
    const conf = path.join(dir, 'vmta.conf');
    writeFileSync(conf, ['<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 mta1.example.test', '</virtual-mta>', '<domain *>', `  smtp-hosts [127.0.0.10]:${receiver.port}`, '</domain>'].join('\n'));
    const redis = new Redis(t.url);
    const store = new MessageStore(redis, { prefix });
    const first = deliveryProcess(conf, t.url, prefix);
    let second: ChildProcess | undefined;
    try {
      for (let i = 0; i < 200; i++) {
        await store.enqueue({
          mailFrom: 's@example.org',
          recipients: [{ address: `r${i}@term.example`, domain: 'term.example' }],
          body: Buffer.from(`Subject: ${i}\r\n\r\nbody\r\n`),
          vmta: 'mta1',
          source: { ip: '127.0.0.9', listener: 'test' },
          receivedAt: Date.now(),
        });
      }
      await expect.poll(() => receiver.received(), { timeout: 20_000 }).toBeGreaterThan(5);
      const exited = new Promise<number | null>((resolve) => first.once('exit', (code) => resolve(code)));
      first.kill('SIGTERM');
      expect(await exited).toBe(0);
      const handedBack = 200 - receiver.received();
      expect(handedBack).toBeGreaterThan(0);
      second = deliveryProcess(conf, t.url, prefix);
      await expect.poll(() => receiver.received(), { timeout: 60_000, interval: 200 }).toBe(200);
    } finally {
      first.kill('SIGKILL');
      second?.kill('SIGKILL');
      await store.dispatcher.close();
      redis.disconnect();
      await receiver.close();
      await t.cleanup();
    }
  });
});
