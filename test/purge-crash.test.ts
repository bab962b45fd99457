/**
 * A big filtered delete through kill -9: two real `vmta start --role delivery` processes, a queue
 * of thousands of messages of two jobs (both paused, so only the delete touches them; once with the
 * event stream on, so `b` records are written, once without), some with a recipient in another queue too.
 * `delete --job big` starts; both processes (so the one working it) are killed with SIGKILL
 * mid-delete, and a new one takes the stalled delete over. At the kill and after, each message is
 * whole or gone (never meta without recipients or body), and once the new process finished the
 * delete: every message of the job is gone except those kept for their other queue, the other job
 * is untouched, and the queue, job and accounting counters count each deleted recipient once.
 */
import { Cluster, deleteMessages, pauseJob } from '@vmta/control';
import { describe, expect, it } from 'vitest';
import { openCrashBed, seqMessage } from './support/crash-bed.js';

const BIG = 8_000;
const KEPT = 300;
const Q = 'big.test/mta1';

// With the event stream on, each step claims and reads its mail and writes `b` records (purge.ts);
// without it, the delete runs inside Redis (purge-in-redis.ts) and hands back only the shared mail.
describe.each([
  ['with the event stream (claim, read, delete)', true],
  ['without it (deleted inside Redis)', false],
])('a big filtered delete while its delivery process is killed with SIGKILL, %s', (_how, stream) => {
  it('leaves no message half-deleted and counts each deleted recipient once', { timeout: 240_000 }, async () => {
    const bed = await openCrashBed({
      config: () => [...(stream ? ['event-stream yes'] : []), '<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 mta1.example.test', '</virtual-mta>', '<domain *>', '  smtp-hosts [127.0.0.10]:9', '</domain>'],
    });
    const { redis, store } = bed;
    const cluster = new Cluster(redis, bed.prefix);
    bed.onClose(() => cluster.close());
    await pauseJob(cluster, 'big');
    await pauseJob(cluster, 'kept');
    const k = cluster.keys;
    /** Messages whose meta, recipients and body are not all there or all gone. */
    const halfDeleted = async (ids: string[]) => {
      const p = redis.pipeline();
      for (const id of ids) p.exists(k.messageMeta(id)).exists(k.messageRecipients(id)).exists(k.messageBody(id));
      const r = ((await p.exec()) ?? []).map(([, v]) => v as number);
      return ids.filter((_, i) => new Set(r.slice(i * 3, i * 3 + 3)).size > 1);
    };
    const a = bed.startDelivery();
    const b = bed.startDelivery();
    try {
      const big: string[] = [];
      const shared: string[] = [];
      const kept: string[] = [];
      const mail = (i: number, job: string, to: string[]) => seqMessage(i, to, { subject: 'purge crash', job });
      for (let from = 0; from < BIG; from += 200) {
        const chunk = Array.from({ length: Math.min(200, BIG - from) }, (_, j) => from + j);
        const ids = await Promise.all(chunk.map((i) => store.enqueue(mail(i, 'big', i % 10 === 0 ? [`r${i}@big.test`, `r${i}@other.test`] : [`r${i}@big.test`]))));
        ids.forEach(({ id }, j) => (chunk[j]! % 10 === 0 ? shared : big).push(id));
      }
      for (let i = 0; i < KEPT; i++) kept.push((await store.enqueue(mail(i, 'kept', [`k${i}@big.test`]))).id);
      await bed.waitStarted(a, b);
      const acctBefore = await redis.xlen(k.accounting());
      const stateBefore = await cluster.ops.stats(Q);
      expect(stateBefore.queued).toBe(BIG + KEPT);

      await deleteMessages(cluster, { queues: [Q], filter: { job: 'big' }, dsn: false });
      // Kill both processes (so surely the one working the delete) as soon as some of it is deleted.
      await expect.poll(() => redis.zcard(k.queueAge(Q)), { timeout: 60_000, interval: 5 }).toBeLessThan(BIG + KEPT);
      a.child.kill('SIGKILL');
      b.child.kill('SIGKILL');
      await Promise.all([a, b].map((p) => new Promise((resolve) => (p.child.exitCode !== null || p.child.signalCode !== null ? resolve(null) : p.child.once('exit', resolve)))));
      const leftAtKill = await redis.zcard(k.queueAge(Q));
      // The kill came mid-delete (else this test proves nothing about a crash).
      expect(leftAtKill).toBeGreaterThan(KEPT);
      expect(await halfDeleted([...big, ...shared, ...kept])).toEqual([]);
      bed.startDelivery();

      // A new process takes the stalled purge job back and finishes it.
      await expect.poll(() => redis.zcard(k.queueAge(Q)), { timeout: 150_000, interval: 500 }).toBe(KEPT);
      expect(await halfDeleted([...big, ...shared, ...kept])).toEqual([]);
      const p = redis.pipeline();
      for (const id of big) p.exists(k.messageMeta(id));
      expect(((await p.exec()) ?? []).filter(([, v]) => v === 1)).toEqual([]);
      for (const id of shared.slice(0, 50)) {
        expect((await store.get(id))?.recipients.map((r) => [r.queue, r.state])).toEqual([
          [Q, 'bounced'],
          ['other.test/mta1', 'queued'],
        ]);
      }
      for (const id of kept.slice(0, 50)) expect((await store.get(id))?.recipients[0]?.state).toBe('queued');
      const deleted = big.length + shared.length;
      await expect.poll(async () => (await cluster.ops.stats(Q)).inflight, { timeout: 10_000 }).toBe(0);
      const after = await cluster.ops.stats(Q);
      expect(after.queued).toBe(KEPT);
      expect(Number(await redis.hget(k.queueState(Q), 'bounced'))).toBe(deleted);
      expect(Number(await redis.hget(k.jobStats('big'), 'bounced'))).toBe(deleted);
      expect((await cluster.ops.stats('other.test/mta1')).queued).toBe(shared.length);
      expect(await redis.hlen(k.messageJobs())).toBe(shared.length + KEPT);
      // One `b` record per deleted recipient, none twice (the repeat after the kill changes nothing); none without the stream.
      expect((await redis.xlen(k.accounting())) - acctBefore).toBe(stream ? deleted : 0);
    } finally {
      await bed.close();
    }
  });
});
