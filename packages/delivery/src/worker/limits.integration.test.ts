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
import { tokenId, type MessageStore } from '@vmta/queue';
import { describe, expect, it } from 'vitest';
import { numberedMessage, openDeliveryTestbed } from '../testing/delivery-testbed.js';
import { mta1ConfigText } from '../testing/mta1-config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const MAX_SMTP_OUT = 2;
const TOTAL = 120;

function deliveryProcess(conf: string, url: string, prefix: string): ChildProcess {
  return spawn(process.execPath, [path.join(root, 'packages/cli/dist/main.js'), 'start', '--role', 'delivery', '--config', conf], {
    env: { ...process.env, REDIS_URL: url, VMTA_PREFIX: prefix },
    stdio: 'ignore',
  });
}

/**
 * A test Redis with a store on it, a receiver answering each message after 30 ms, and a config file
 * (in a fresh `vmta-<name>-` dir): VMTA mta1, every domain to the receiver with these lines.
 */
async function setup(name: string, domainLines: string[]) {
  const bed = await openDeliveryTestbed();
  const receiver = await bed.slowReceiver(30);
  const conf = path.join(mkdtempSync(path.join(tmpdir(), `vmta-${name}-`)), 'vmta.conf');
  writeFileSync(conf, mta1ConfigText({ domain: [`  smtp-hosts [127.0.0.10]:${receiver.port}`, ...domainLines] }));
  return { bed, receiver, start: () => deliveryProcess(conf, bed.t.url, bed.prefix) };
}

/** Enqueues `count` one-recipient messages, r<i>@domain, subject <i>. */
async function enqueueMany(store: MessageStore, count: number, domain: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    await store.enqueue(numberedMessage(i, domain));
  }
}

describe('max-smtp-out across delivery processes', () => {
  it('two processes together keep to the queue max-smtp-out', { timeout: 90_000 }, async () => {
    const { bed, receiver, start } = await setup('limits', [`  max-smtp-out ${MAX_SMTP_OUT}`, '  max-msg-per-connection 10']);
    const procs = [start(), start()];
    try {
      await enqueueMany(bed.store, TOTAL, 'limits.example');
      await expect.poll(() => receiver.received(), { timeout: 60_000, interval: 200 }).toBe(TOTAL);
      // both slots were used (the limit was reached), never more
      expect(receiver.peak()).toBe(MAX_SMTP_OUT);
    } finally {
      for (const p of procs) p.kill('SIGKILL');
      await bed.close();
    }
  });

  it('two processes together keep to the queue max-msg-rate', { timeout: 60_000 }, async () => {
    const { bed, receiver, start } = await setup('rate', ['  max-smtp-out 4', '  max-msg-rate 2/h']);
    const { store, ops } = bed;
    const procs = [start(), start()];
    try {
      await enqueueMany(store, 20, 'rate.example');
      // 2/h spaced evenly: the first goes at once, the next not before 30 minutes
      await expect.poll(() => receiver.received(), { timeout: 20_000 }).toBe(1);
      const token = await store.dispatcher.lane('mta1').getJob(tokenId('rate.example/mta1', 0));
      await expect.poll(async () => token && (await token.getState()), { timeout: 10_000 }).toBe('delayed');
      // The receiver counts the message before it replies: the outcome may be a moment behind it.
      await expect.poll(async () => (await ops.stats('rate.example/mta1')).queued, { timeout: 10_000 }).toBe(19);
      expect(receiver.received()).toBe(1);
    } finally {
      for (const p of procs) p.kill('SIGKILL');
      await bed.close();
    }
  });
});

describe('SIGTERM of a delivery process mid-delivery', () => {
  it('exits 0 promptly, hands its mail back, and another process delivers all of it', { timeout: 90_000 }, async () => {
    const { bed, receiver, start } = await setup('term', []);
    const first = start();
    let second: ChildProcess | undefined;
    try {
      await enqueueMany(bed.store, 200, 'term.example');
      await expect.poll(() => receiver.received(), { timeout: 20_000 }).toBeGreaterThan(5);
      const exited = new Promise<number | null>((resolve) => first.once('exit', (code) => resolve(code)));
      first.kill('SIGTERM');
      expect(await exited).toBe(0);
      const handedBack = 200 - receiver.received();
      expect(handedBack).toBeGreaterThan(0);
      second = start();
      await expect.poll(() => receiver.received(), { timeout: 60_000, interval: 200 }).toBe(200);
    } finally {
      first.kill('SIGKILL');
      second?.kill('SIGKILL');
      await bed.close();
    }
  });
});
