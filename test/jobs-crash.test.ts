/**
 * A paused job through kill -9 of a delivery process: two real `vmta start --role delivery`
 * processes share queues holding two jobs, one of them paused. One process is killed mid-delivery.
 * Every message of the running job still arrives (the other process takes the slots back), none of
 * the paused job does, and after `resume job` all of it arrives; duplicates stay within the
 * messages on the wire at the kill (RFC 5321 §6.1), and Redis is left clean.
 */
import { Cluster, pauseJob, resumeJob } from '@vmta/control';
import { describe, expect, it } from 'vitest';
import { deliveryConfig, openCrashBed, seqMessage } from './support/crash-bed.js';

const TOTAL = 600;
const MAX_SMTP_OUT = 3;

describe('a paused job while a delivery process is killed with SIGKILL', () => {
  it('delivers all of the running job and none of the paused one, then all of it after resume', { timeout: 240_000 }, async () => {
    const bed = await openCrashBed({ receiver: {}, config: (port) => deliveryConfig({ port, maxSmtpOut: MAX_SMTP_OUT }) });
    const { redis, store } = bed;
    const receiver = bed.receiver!;
    const cluster = new Cluster(redis, bed.prefix);
    bed.onClose(() => cluster.close());
    await pauseJob(cluster, 'held');
    const a = bed.startDelivery();
    const b = bed.startDelivery();
    const isHeld = (seq: number) => seq % 2 === 1;
    try {
      await bed.waitStarted(a, b);
      const feeding = (async () => {
        for (let i = 0; i < TOTAL; i++) {
          await store.enqueue(seqMessage(i, [`r${i % 5}@jc${i % 3}.example`], { subject: 'job crash', job: isHeld(i) ? 'held' : 'flow' }));
        }
      })();
      await expect.poll(() => receiver.messages.length, { timeout: 30_000 }).toBeGreaterThan(TOTAL / 20);
      a.child.kill('SIGKILL');
      await feeding;
      const flowing = new Set(Array.from({ length: TOTAL }, (_, i) => i).filter((i) => !isHeld(i)));
      await bed.waitArrived(flowing.size, { timeoutMs: 120_000, intervalMs: 500, only: (s) => flowing.has(s) });
      expect(bed.seqs().filter(isHeld)).toEqual([]);
      expect(await redis.hlen(cluster.keys.messageJobs())).toBe(TOTAL / 2);

      await resumeJob(cluster, 'held');
      await bed.waitArrived(TOTAL, { timeoutMs: 120_000, intervalMs: 500 });
      // Only messages on the wire at the kill: at most one per connection of each of the 3 queues.
      expect(bed.duplicates(TOTAL)).toBeLessThanOrEqual(MAX_SMTP_OUT * 3);
      for (const q of ['jc0.example/mta1', 'jc1.example/mta1', 'jc2.example/mta1']) {
        await expect.poll(() => store.queued(q), { timeout: 10_000 }).toEqual([]);
      }
      await bed.expectDrained();
      expect(await redis.hlen(cluster.keys.messageJobs())).toBe(0);
      await bed.expectStopsCleanly(b);
    } finally {
      await bed.close();
    }
  });
});
