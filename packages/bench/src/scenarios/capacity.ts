/**
 * Scenario "capacity": how far one Redis primary carries the cluster. For N = 1, 2, 3: a fresh
 * Redis (AOF, the run's appendfsync), N listener processes (each its own port) and N delivery
 * processes against it, one smtp-sink; the senders split the load over the N listeners. Reported
 * per N: messages per second end to end (first connect to the last message at the sink), accepted
 * per second at the listeners, and the CPU of Redis, the listeners and the deliveries over the
 * same window (100 % = one core). On a 2-core machine the processes compete with Redis for the
 * cores, so this shows where Redis stands, not where a bigger box would saturate it.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getFreePort } from '@vmta/redis-server';
import type { BenchOptions } from '../args.js';
import { startBenchRedis } from '../bench-redis.js';
import { messageWithHeaders, sourceLikePayload } from '../bodies.js';
import { startSink } from '../sink.js';
import { runSenders } from '../sender-client.js';
import { perSecond } from '../stats.js';
import { benchConfig, spawnVmta, type VmtaProcess } from '../vmta.js';
import { ADDR, deadline, FROM, tempDir, TO, type Context } from './common.js';

export interface CapacityStep {
  /** Listener processes, and as many delivery processes. */
  processes: number;
  /** End to end: sink count over the time from the first connect to the last arrival. */
  msgPerSec: number;
  /** 250s per second at the listeners (senders' window). */
  acceptedPerSec: number;
  /** CPU over the end-to-end window, % of one core. */
  redisCpuPct: number;
  listenersCpuPct: number;
  deliveriesCpuPct: number;
  /** Redis commands per delivered message (total_commands_processed over the window). */
  redisCommandsPerMsg: number;
  failures: number;
  loadAvg: number;
}

export interface CapacityResult {
  messages: number;
  sessions: number;
  size: number;
  fsync: string;
  cores: number;
  steps: CapacityStep[];
}

const PREFIX = 'cap';
const STEPS = [1, 2, 3];

async function runStep(ctx: Context, opts: BenchOptions, n: number, messages: number, body: Buffer): Promise<CapacityStep> {
  const tmp = tempDir(`capacity${n}`);
  const redis = await startBenchRedis(path.join(tmp.dir, 'redis'), opts.fsync);
  const sink = await startSink(ctx.tools.smtpSink, ADDR.sink, await getFreePort(ADDR.sink));
  const procs: VmtaProcess[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const port = await getFreePort(ADDR.listener);
      ports.push(port);
      const config = path.join(tmp.dir, `vmta-${i}.conf`);
      writeFileSync(config, benchConfig({ listener: { host: ADDR.listener, port }, sink, maxSmtpOut: 20 }));
      const common = { cli: ctx.cli, config, redisUrl: redis.url, prefix: PREFIX, dir: tmp.dir };
      procs.push(await spawnVmta({ ...common, role: 'listener', name: `listener-${i}` }));
      procs.push(await spawnVmta({ ...common, role: 'delivery', name: `delivery-${i}` }));
    }
    const cpu = () => ({
      redis: redis.cpu(),
      listeners: procs.filter((p) => p.role === 'listener').reduce((s, p) => s + p.cpu(), 0),
      deliveries: procs.filter((p) => p.role === 'delivery').reduce((s, p) => s + p.cpu(), 0),
    });
    const loadAvg = os.loadavg()[0]!;
    const commands0 = await redis.commandsProcessed();
    const cpu0 = cpu();
    const t0 = performance.now();
    const arrived = sink.waitFor(messages, deadline(messages));
    const share = (i: number) => Math.floor(messages / n) + (i < messages % n ? 1 : 0);
    const results = await Promise.all(
      ports.map((port, i) =>
        runSenders({
          host: ADDR.listener,
          port,
          sessions: Math.max(1, Math.round(opts.sessions / n)),
          messages: share(i),
          connectionPerMessage: false,
          from: FROM,
          recipients: () => [TO],
          body: () => body,
        }),
      ),
    );
    const acceptedMs = performance.now() - t0;
    const failures = results.reduce((s, r) => s + r.failures, 0);
    const sent = results.reduce((s, r) => s + r.sent, 0);
    const tEnd = await arrived.catch(() => performance.now());
    const ms = tEnd - t0;
    const cpu1 = cpu();
    const commands = (await redis.commandsProcessed()) - commands0;
    const pct = (a: number, b: number) => Math.round(((b - a) / (ms / 1000)) * 100);
    const step: CapacityStep = {
      processes: n,
      msgPerSec: Math.round(perSecond(sink.count(), ms)),
      acceptedPerSec: Math.round(perSecond(sent, acceptedMs)),
      redisCpuPct: pct(cpu0.redis, cpu1.redis),
      listenersCpuPct: pct(cpu0.listeners, cpu1.listeners),
      deliveriesCpuPct: pct(cpu0.deliveries, cpu1.deliveries),
      redisCommandsPerMsg: Math.round(commands / Math.max(1, sink.count())),
      failures,
      loadAvg: Math.round(loadAvg * 100) / 100,
    };
    ctx.log(`capacity: ${n} listener + ${n} delivery processes: ${step.msgPerSec} msg/s end to end, ${step.acceptedPerSec} accepted/s, Redis ${step.redisCpuPct} % CPU, listeners ${step.listenersCpuPct} %, deliveries ${step.deliveriesCpuPct} %, ${failures} failures`);
    return step;
  } finally {
    for (const p of procs) await p.stop();
    await sink.stop();
    await redis.stop();
    tmp.remove();
  }
}

export async function runCapacity(ctx: Context, opts: BenchOptions): Promise<CapacityResult> {
  const messages = opts.quick ? 2000 : opts.messages;
  const body = Buffer.from(messageWithHeaders(sourceLikePayload(opts.size), FROM, TO, 'capacity'));
  const steps: CapacityStep[] = [];
  for (const n of STEPS) {
    // A step that cannot start (a process not up within its bound on a loaded machine) ends the
    // scenario with the steps done so far, and says so.
    try {
      steps.push(await runStep(ctx, opts, n, messages, body));
    } catch (err) {
      ctx.log(`capacity: ${n} listener + ${n} delivery processes: not measured: ${(err as Error).message.split('\n')[0]}`);
      break;
    }
  }
  return { messages, sessions: opts.sessions, size: opts.size, fsync: opts.fsync, cores: os.cpus().length, steps };
}
