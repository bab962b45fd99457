/**
 * Scenario "queues": many destination domains queued at once, some of which
 * cannot deliver. 10,000 domains get one message each (through packages/queue,
 * delivery stopped); 1,000 of them are blocked in three ways: paused
 * (QueueOps.pause), in retry mode an hour ahead (QueueOps.enterRetry), or
 * throttled (`max-msg-rate 1/h`: its first message goes, the second waits).
 * One delivery process then drains the rest to the sink; once it has, we watch
 * for a while with only the blocked queues left: the delivery process's CPU and
 * Redis commands per second must be near zero. A control run drains as many
 * one-message domains with none blocked, to show the blocked ones cost the rest
 * nothing.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { getFreePort } from '@vmta/redis-server';
import { MessageStore, QueueOps, queueName } from '@vmta/queue';
import type { BenchOptions } from '../args.js';
import { attributeCommands, startBenchRedis } from '../bench-redis.js';
import { messageWithHeaders, textPayload } from '../bodies.js';
import type { CommandStat } from '../redis-info.js';
import { startSink } from '../sink.js';
import { median } from '../runs.js';
import { perSecond } from '../stats.js';
import { benchConfig, spawnVmta, type VmtaProcess } from '../vmta.js';
import { ADDR, deadline, FROM, pool, sleep, tempDir, type Context } from './common.js';

export type BlockKind = 'open' | 'paused' | 'retry' | 'throttle';

/** Which domains are blocked, and how: the first `blocked` ones, in turn paused, retry, throttle. */
export function domainPlan(domains: number, blocked: number): Array<{ domain: string; kind: BlockKind; messages: number }> {
  const kinds: BlockKind[] = ['paused', 'retry', 'throttle'];
  return Array.from({ length: domains }, (_, i) => {
    const kind: BlockKind = i < blocked ? kinds[i % 3]! : 'open';
    return { domain: `d${i}.${kind}.bench.test`, kind, messages: kind === 'throttle' ? 2 : 1 };
  });
}

export interface QueuesResult {
  domains: number;
  blocked: Record<Exclude<BlockKind, 'open'>, number>;
  /** Messages written (throttled domains have two). */
  enqueued: number;
  enqueueMs: number;
  /** Messages that could go (open domains + the first message of each throttled one). */
  deliverable: number;
  drainMs: number;
  drainPerSec: number;
  /**
   * The control: as many one-message domains as were deliverable, none blocked, on a fresh Redis and
   * delivery process. The blocked queues must not slow the rest down: drainPerSec ≈ this.
   */
  unblockedDrainPerSec?: number;
  /** Every drain rate measured, with the blocked queues and without (medians above when there are several). */
  drainRuns?: { blocked: number[]; unblocked: number[] };
  idle: {
    seconds: number;
    deliveryCpuSeconds: number;
    /** Delivery CPU as a share of one core. */
    deliveryCpuPct: number;
    redisCpuPct: number;
    /** total_commands_processed per second (the bench's own INFO/CONFIG calls taken out). */
    redisCommandsPerSec: number;
    commands: Record<string, CommandStat>;
    /** Messages the sink got during the idle window (must be 0). */
    deliveredDuringIdle: number;
    /** Commands per second by the kind of queue they touch (MONITOR, 2 s, after the window). */
    commandsByKind: Record<string, number>;
  };
  /** Messages still queued in blocked queues at the end (must equal the blocked domains). */
  stillQueued: number;
}

interface QueuesEnv {
  redis: Awaited<ReturnType<typeof startBenchRedis>>;
  sink: Awaited<ReturnType<typeof startSink>>;
  store: MessageStore;
  prefix: string;
  /** Starts the one delivery process of this environment (stopped with it). */
  startDelivery(name?: string): Promise<VmtaProcess>;
}

/** A private Redis, sink and configuration for one drain; everything is stopped and removed after `fn`. */
async function withQueuesEnv<T>(ctx: Context, opts: BenchOptions, name: string, extra: string[], fn: (env: QueuesEnv) => Promise<T>): Promise<T> {
  const tmp = tempDir(name);
  const redis = await startBenchRedis(path.join(tmp.dir, 'redis'), opts.fsync);
  const sink = await startSink(ctx.tools.smtpSink, ADDR.sink, await getFreePort(ADDR.sink));
  const prefix = 'bench';
  const config = path.join(tmp.dir, 'vmta.conf');
  writeFileSync(config, benchConfig({ sink, maxSmtpOut: 20, extra }));
  const store = new MessageStore(redis.client, { prefix });
  let delivery: VmtaProcess | undefined;
  const startDelivery = async (procName?: string) =>
    (delivery = await spawnVmta({ cli: ctx.cli, config, role: 'delivery', redisUrl: redis.url, prefix, dir: tmp.dir, ...(procName ? { name: procName } : {}) }));
  try {
    return await fn({ redis, sink, store, prefix, startDelivery });
  } finally {
    await delivery?.stop();
    await store.dispatcher.close();
    await sink.stop();
    await redis.stop();
    tmp.remove();
  }
}

/** One message per planned domain message, 64 in flight; the time it took. */
async function enqueuePlan(store: MessageStore, plan: Array<{ domain: string; messages: number }>): Promise<number> {
  const body = Buffer.from(messageWithHeaders(textPayload(2000), FROM, 'rcpt@domain', 'queues'));
  const t0 = performance.now();
  await pool(plan, 64, async (p) => {
    for (let m = 0; m < p.messages; m++) {
      await store.enqueue({
        mailFrom: FROM,
        recipients: [{ address: `rcpt@${p.domain}`, domain: p.domain }],
        body,
        vmta: 'bench',
        source: { ip: '127.0.0.1', listener: 'bench' },
        receivedAt: Date.now(),
      });
    }
  });
  return performance.now() - t0;
}

/** The control: `count` one-message domains, none blocked, drained by a fresh delivery process (msg/s). */
function unblockedDrain(ctx: Context, opts: BenchOptions, count: number): Promise<number> {
  return withQueuesEnv(ctx, opts, 'queues-control', [], async ({ sink, store, startDelivery }) => {
    await enqueuePlan(store, Array.from({ length: count }, (_, i) => ({ domain: `d${i}.control.bench.test`, messages: 1 })));
    const arrived = sink.waitFor(count, deadline(count, 20));
    const t0 = performance.now();
    await startDelivery('delivery-control');
    return perSecond(count, (await arrived) - t0);
  });
}

/**
 * The blocked drain with its idle window, then `opts.runs` drains of the control and as many of the
 * blocked plan in all (alternating), so the comparison is between medians, not two single runs on a
 * shared machine.
 */
export async function runQueues(ctx: Context, opts: BenchOptions): Promise<QueuesResult> {
  const result = await runBlocked(ctx, opts, (d) => watchIdle(ctx, opts, d));
  const blocked = [result.drainPerSec];
  const unblocked: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    ctx.log(`queues control ${i + 1}/${opts.runs}: ${result.deliverable} one-message domains, none blocked`);
    unblocked.push(await unblockedDrain(ctx, opts, result.deliverable));
    ctx.log(`  drained at ${unblocked[i]!.toFixed(0)}/s`);
    if (i + 1 < opts.runs) blocked.push(await runBlocked(ctx, opts, async (d) => perSecond(d.deliverable, d.drainMs)));
  }
  return { ...result, drainPerSec: median(blocked), unblockedDrainPerSec: median(unblocked), drainRuns: { blocked, unblocked } };
}

interface BlockedDrain {
  env: QueuesEnv;
  plan: ReturnType<typeof domainPlan>;
  delivery: VmtaProcess;
  enqueueMs: number;
  deliverable: number;
  drainMs: number;
}

/** The plan with its blocked queues, queued and drained; `after` runs in the same environment before it is torn down. */
function runBlocked<T>(ctx: Context, opts: BenchOptions, after: (d: BlockedDrain) => Promise<T>): Promise<T> {
  const throttle = ['<domain *.throttle.bench.test>', '  max-msg-rate 1/h', '</domain>'];
  return withQueuesEnv(ctx, opts, 'queues', throttle, async (env) => {
    const { redis, store, sink, prefix, startDelivery } = env;
    const plan = domainPlan(opts.domains, opts.blocked);
    const ops = new QueueOps(redis.client, prefix);
    ctx.log(`queues: enqueueing ${plan.length} domains (${opts.blocked} blocked)`);
    const retryAt = Date.now() + 3_600_000;
    for (const p of plan) {
      const q = queueName(p.domain, 'bench');
      if (p.kind === 'paused') await ops.pause(q);
      if (p.kind === 'retry') await ops.enterRetry(q, retryAt);
    }
    const enqueueMs = await enqueuePlan(store, plan);
    const deliverable = plan.filter((p) => p.kind === 'open' || p.kind === 'throttle').length;
    ctx.log(`  enqueued in ${(enqueueMs / 1000).toFixed(1)} s; delivering ${deliverable}`);
    const arrived = sink.waitFor(deliverable, deadline(deliverable, 20));
    const tDrain = performance.now();
    const delivery = await startDelivery();
    const drainMs = (await arrived) - tDrain;
    ctx.log(`  drained ${deliverable} in ${(drainMs / 1000).toFixed(1)} s`);
    return after({ env, plan, delivery, enqueueMs, deliverable, drainMs });
  });
}

/** After the drain, only the blocked queues are left: what delivery and Redis spend on them. */
async function watchIdle(ctx: Context, opts: BenchOptions, { env, plan, delivery, enqueueMs, deliverable, drainMs }: BlockedDrain): Promise<QueuesResult> {
  const { redis, sink, store } = env;
  ctx.log(`  watching the blocked queues for ${opts.idleSeconds} s`);
  await sleep(5000);

  const sink0 = sink.count();
  const cpu0 = delivery.cpu();
  const rcpu0 = redis.cpu();
  await redis.resetStats();
  const cmd0 = await redis.commandsProcessed();
  await sleep(opts.idleSeconds * 1000);
  const cmd1 = await redis.commandsProcessed();
  const commands = await redis.commandStats();
  const cpu1 = delivery.cpu();
  const rcpu1 = redis.cpu();
  // Our own call counted in the window: the first INFO stats (RESETSTAT comes before it, and an INFO does not count itself).
  const own = 1;
  const stillQueued = (await Promise.all(plan.filter((p) => p.kind !== 'open').map((p) => redis.client.zcard(store.keys.queueReady(queueName(p.domain, 'bench')))))).reduce((a, b) => a + b, 0);
  // Redis 7 names subcommands "config|resetstat": leave out everything the bench itself sent.
  const delivererCommands = Object.fromEntries(Object.entries(commands).filter(([name]) => !['info', 'config', 'slowlog'].includes(name.split('|')[0]!)));
  const commandsByKind = await attributeCommands(redis.url, 2000, (text) => {
    return /\.(paused|retry|throttle|open)\.bench\.test/.exec(text)?.[1] ?? 'no queue named';
  });
  return {
    domains: plan.length,
    blocked: {
      paused: plan.filter((p) => p.kind === 'paused').length,
      retry: plan.filter((p) => p.kind === 'retry').length,
      throttle: plan.filter((p) => p.kind === 'throttle').length,
    },
    enqueued: plan.reduce((sum, p) => sum + p.messages, 0),
    enqueueMs,
    deliverable,
    drainMs,
    drainPerSec: perSecond(deliverable, drainMs),
    idle: {
      seconds: opts.idleSeconds,
      deliveryCpuSeconds: cpu1 - cpu0,
      deliveryCpuPct: (100 * (cpu1 - cpu0)) / opts.idleSeconds,
      redisCpuPct: (100 * (rcpu1 - rcpu0)) / opts.idleSeconds,
      redisCommandsPerSec: Math.max(0, cmd1 - cmd0 - own) / opts.idleSeconds,
      commands: delivererCommands,
      deliveredDuringIdle: sink.count() - sink0,
      commandsByKind,
    },
    stillQueued,
  };
}
