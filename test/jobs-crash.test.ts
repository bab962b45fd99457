/**
 * A paused job through kill -9 of a delivery process: two real `vmta start --role delivery`
 * processes share queues holding two jobs, one of them paused. One process is killed mid-delivery.
 * Every message of the running job still arrives (the other process takes the slots back), none of
 * the paused job does, and after `resume job` all of it arrives; duplicates stay within the
 * messages on the wire at the kill (RFC 5321 §6.1), and Redis is left clean.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Cluster, pauseJob, resumeJob } from '@vmta/control';
import { startReceiver } from '@vmta/delivery/testing';
import { MessageStore } from '@vmta/queue';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { startDeliveryProcess } from './support/delivery-process.js';

const TOTAL = 600;
const MAX_SMTP_OUT = 3;


describe('a paused job while a delivery process is killed with SIGKILL', () => {
  it('delivers all of the running job and none of the paused one, then all of it after resume', { timeout: 240_000 }, async () => {
    const t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    const receiver = await startReceiver({ host: '127.0.0.10', startTls: false });
    const conf = path.join(mkdtempSync(path.join(tmpdir(), 'vmta-jcrash-')), 'vmta.conf');
    writeFileSync(conf, ['<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 mta1.example.test', '</virtual-mta>', '<domain *>', `  smtp-hosts [127.0.0.10]:${receiver.port}`, `  max-smtp-out ${MAX_SMTP_OUT}`, '  retry-after 2s', '</domain>'].join('\n'));
    const redis = new Redis(t.url);
    const store = new MessageStore(redis, { prefix });
    const cluster = new Cluster(redis, prefix);
    await pauseJob(cluster, 'held');
    const a = startDeliveryProcess(conf, t.url, prefix);
    const b = startDeliveryProcess(conf, t.url, prefix);
    const seqs = () => receiver.messages.map((m) => Number(/X-Seq: (\d+)/.exec(m.body)?.[1]));
    const isHeld = (seq: number) => seq % 2 === 1;
    try {
      await expect.poll(() => a.output().includes('"event":"started"') && b.output().includes('"event":"started"'), { timeout: 20_000 }).toBe(true);
      const feeding = (async () => {
        for (let i = 0; i < TOTAL; i++) {
          await store.enqueue({
            mailFrom: 'sender@example.org',
            recipients: [{ address: `r${i % 5}@jc${i % 3}.example`, domain: `jc${i % 3}.example` }],
            body: Buffer.from(`Subject: job crash\r\nX-Seq: ${i}\r\n\r\nmessage ${i}\r\n`),
            vmta: 'mta1',
            source: { ip: '127.0.0.9', listener: 'test' },
            receivedAt: Date.now(),
            job: isHeld(i) ? 'held' : 'flow',
          });
        }
      })();
      await expect.poll(() => receiver.messages.length, { timeout: 30_000 }).toBeGreaterThan(TOTAL / 20);
      a.child.kill('SIGKILL');
      await feeding;
      const flowing = new Set(Array.from({ length: TOTAL }, (_, i) => i).filter((i) => !isHeld(i)));
      await expect.poll(() => new Set(seqs().filter((s) => flowing.has(s))).size, { timeout: 120_000, interval: 500 }).toBe(flowing.size);
      expect(seqs().filter(isHeld)).toEqual([]);
      expect(await redis.hlen(cluster.keys.messageJobs())).toBe(TOTAL / 2);

      await resumeJob(cluster, 'held');
      await expect.poll(() => new Set(seqs()).size, { timeout: 120_000, interval: 500 }).toBe(TOTAL);
      const duplicates = seqs().length - TOTAL;
      // Only messages on the wire at the kill: at most one per connection of each of the 3 queues.
      expect(duplicates).toBeLessThanOrEqual(MAX_SMTP_OUT * 3);
      for (const q of ['jc0.example/mta1', 'jc1.example/mta1', 'jc2.example/mta1']) {
        await expect.poll(() => store.queued(q), { timeout: 10_000 }).toEqual([]);
      }
      await expect.poll(() => redis.keys(`${t.prefix}{m:*`), { timeout: 10_000 }).toEqual([]);
      expect(await redis.hlen(cluster.keys.messageJobs())).toBe(0);
      b.child.kill('SIGTERM');
      expect(await new Promise((resolve) => b.child.once('exit', resolve))).toBe(0);
    } finally {
      for (const p of [a, b]) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await cluster.close();
      await store.dispatcher.close();
      redis.disconnect();
      await receiver.close();
      await t.cleanup();
    }
  });
});
