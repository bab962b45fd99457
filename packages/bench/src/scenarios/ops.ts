/**
 * Scenario "ops": operator tools on a big queue. N messages (default 100,000) in one paused queue,
 * half of them job-a, half job-b, a quarter of job-b from another sender; one delivery process.
 * Times, through the real CLI (so each figure includes starting node): show messages,
 * show jobs, pause and resume of a job (resume walks the job's mail), delete by job and by sender
 * until the job counters and the queue say done; then the queue is resumed with job-b paused (its
 * mail must stay: claims park it) and job-b is resumed until the sink has it all. Redis's slow log
 * (threshold 1 ms) records the longest single command of the whole run after the fill.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { listJobs, MessageStore, QueueOps } from '@vmta/queue';
import { getFreePort } from '@vmta/redis-server';
import type { BenchOptions } from '../args.js';
import { startBenchRedis } from '../bench-redis.js';
import { messageWithHeaders, textPayload } from '../bodies.js';
import { startSink } from '../sink.js';
import { benchConfig, spawnVmta, type VmtaProcess } from '../vmta.js';
import { ADDR, FROM, pool, sleep, tempDir, type Context } from './common.js';

export interface OpsResult {
  messages: number;
  enqueueSeconds: number;
  /** Wall time (s) of each operator step, CLI start-up included. */
  steps: Array<{ step: string; seconds: number; detail: string }>;
  /** The longest single Redis command after the fill (SLOWLOG, threshold 1 ms); 0 when none reached 1 ms. */
  longestCommandMs: number;
  longestCommand: string;
  /** Commands of 1 ms or more after the fill. */
  slowCommands: number;
  /** Recipients the sink got while job-b was paused (must be 0). */
  deliveredWhilePaused: number;
}

const DOMAIN = 'ops.bench.test';
const SPAM = 'other@sender.bench.test';

export async function runOps(ctx: Context, opts: BenchOptions): Promise<OpsResult> {
  const n = opts.quick ? 10_000 : opts.opsMessages;
  const tmp = tempDir('ops');
  const redis = await startBenchRedis(path.join(tmp.dir, 'redis'), opts.fsync);
  const sink = await startSink(ctx.tools.smtpSink, ADDR.sink, await getFreePort(ADDR.sink));
  const prefix = 'bench';
  const config = path.join(tmp.dir, 'vmta.conf');
  writeFileSync(config, benchConfig({ sink, maxSmtpOut: 10 }));
  const env = { ...process.env, REDIS_URL: redis.url, VMTA_PREFIX: prefix, NODE_OPTIONS: '' };
  const vmta = (...args: string[]) => {
    const r = spawnSync(process.execPath, [ctx.cli, ...args], { encoding: 'utf8', env, maxBuffer: 64 * 2 ** 20 });
    if (r.status !== 0) throw new Error(`vmta ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    return r.stdout;
  };
  const queue = `${DOMAIN}/bench`;
  const store = new MessageStore(redis.client, { prefix });
  const body = Buffer.from(messageWithHeaders(textPayload(2048), FROM, `rcpt@${DOMAIN}`, 'ops'));
  let delivery: VmtaProcess | undefined;
  const steps: OpsResult['steps'] = [];
  const timed = async (step: string, fn: () => Promise<string> | string) => {
    const t0 = performance.now();
    const detail = await fn();
    const seconds = (performance.now() - t0) / 1000;
    steps.push({ step, seconds, detail });
    ctx.log(`  ${step}: ${seconds.toFixed(2)} s ${detail}`);
  };
  // Progress is read from Redis directly (spawning the CLI to poll would load the machine under test).
  const ops = new QueueOps(redis.client, prefix);
  const jobQueued = async (job: string) => (await listJobs(redis.client, store.keys)).find((j) => j.job === job)?.queued ?? 0;
  const queueQueued = async () => (await ops.stats(queue)).queued;
  const until = async (done: () => boolean | Promise<boolean>, limitMs = 600_000) => {
    const t0 = performance.now();
    while (!(await done())) {
      if (performance.now() - t0 > limitMs) throw new Error('ops: a step did not finish in time');
      await sleep(200);
    }
  };
  try {
    vmta('pause', 'queue', queue);
    ctx.log(`ops: enqueueing ${n} messages into ${queue} (paused)`);
    const t0 = performance.now();
    await pool(
      (function* () {
        for (let i = 0; i < n; i++) yield i;
      })(),
      256,
      async (i) => {
        await store.enqueue({
          mailFrom: i % 4 === 1 ? SPAM : FROM,
          recipients: [{ address: `rcpt${i}@${DOMAIN}`, domain: DOMAIN }],
          body,
          vmta: 'bench',
          source: { ip: '127.0.0.1', listener: 'bench' },
          receivedAt: Date.now(),
          job: i % 2 === 0 ? 'job-a' : 'job-b',
        });
      },
    );
    const enqueueSeconds = (performance.now() - t0) / 1000;
    delivery = await spawnVmta({ cli: ctx.cli, config, role: 'delivery', redisUrl: redis.url, prefix, dir: tmp.dir, name: 'delivery' });
    await redis.client.config('SET', 'slowlog-log-slower-than', '1000');
    await redis.client.config('SET', 'slowlog-max-len', '100000');
    await redis.client.slowlog('RESET');

    await timed('show messages --limit 100', () => `${(JSON.parse(vmta('show', 'messages', '--queue', queue, '--limit', '100', '--json')) as unknown[]).length} rows`);
    await timed('show jobs', () => `${(JSON.parse(vmta('show', 'jobs', '--json')) as unknown[]).length} jobs`);
    await timed('pause job job-b', () => vmta('pause', 'job', 'job-b').trim());
    await timed(`resume job job-b (${n / 2} messages made due)`, () => vmta('resume', 'job', 'job-b').trim());
    await timed(`delete --job job-a (${n / 2} recipients)`, async () => {
      vmta('delete', '--job', 'job-a');
      await until(async () => (await jobQueued('job-a')) === 0);
      return `${await queueQueued()} left in the queue`;
    });
    await timed(`delete --orig ${SPAM} (${n / 4} recipients)`, async () => {
      vmta('delete', '--orig', SPAM);
      await until(async () => (await queueQueued()) <= n / 4);
      return `${await queueQueued()} left in the queue`;
    });
    vmta('pause', 'job', 'job-b');
    vmta('resume', 'queue', queue);
    // Claims run and park job-b's mail; nothing may reach the sink.
    await sleep(5_000);
    const deliveredWhilePaused = sink.count();
    await timed(`resume job job-b, until the sink has its ${n / 4} recipients`, async () => {
      vmta('resume', 'job', 'job-b');
      await until(() => sink.count() >= n / 4);
      return `${sink.count()} delivered`;
    });
    const log = (await redis.client.slowlog('GET', 100_000)) as Array<[number, number, number, string[]]>;
    const longest = log.reduce<[number, number, number, string[]] | undefined>((a, e) => (!a || e[2] > a[2] ? e : a), undefined);
    return {
      messages: n,
      enqueueSeconds,
      steps,
      longestCommandMs: longest ? longest[2] / 1000 : 0,
      longestCommand: longest ? longest[3].slice(0, 3).join(' ').slice(0, 80) : '',
      slowCommands: log.length,
      deliveredWhilePaused,
    };
  } finally {
    await delivery?.stop();
    // The store's dispatcher holds a connection of its own: left open, it keeps the bench alive.
    await store.dispatcher.close();
    await sink.stop();
    await redis.stop();
    tmp.remove();
  }
}
