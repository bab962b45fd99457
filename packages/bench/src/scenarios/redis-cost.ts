/**
 * Scenario "redis-cost": what one message costs Redis on each main path
 * (issues 13 and 18): commands by name (INFO commandstats deltas, commands run
 * inside Lua scripts counted too) and network bytes (total_net_input_bytes /
 * total_net_output_bytes deltas), plus the CPU of each process, per message.
 *
 * The listener and the delivery role are separate processes on one private
 * Redis. Accept paths run with the listener alone (no delivery process yet);
 * the backlog delivery paths start delivery afterwards and count until the
 * sink has every message; the trickle paths run both while mail arrives at a
 * fixed low rate, one connection per message, and give the delivery share as
 * the total minus the accept figure of the same message shape.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { getFreePort } from '@vmta/redis-server';
import { UsageError, type BenchOptions } from '../args.js';
import { startBenchRedis, type BenchRedis } from '../bench-redis.js';
import { messageWithHeaders, sourceLikePayload } from '../bodies.js';
import { manyDomainRecipient } from '../many-domains.js';
import { costBetween, type RedisCost, type RedisSnapshot } from '../redis-info.js';
import { runSenders, type SenderLoad } from '../sender-client.js';
import { startSinks, type SinkSet } from '../sinks.js';
import { benchConfig, spawnVmta, type VmtaProcess } from '../vmta.js';
import { ADDR, FROM, sleep, tempDir, TO, type Context } from './common.js';
import { FANOUT, fanoutDomain } from './senders-loads.js';

export interface PathCost {
  name: string;
  describe: string;
  /** Redis per message; for the trickle paths the whole path (accept and delivery). */
  redis: RedisCost;
  /** Trickle paths: the total minus the accept path of the same message shape. */
  deliveryShare?: { commandsPerMessage: number; netInBytesPerMessage: number; netOutBytesPerMessage: number };
  /** CPU ms per message of each process over the window. */
  cpuMsPerMessage: Record<string, number>;
  seconds: number;
  delivered: number;
  expected: number;
}

export interface RedisCostResult {
  fsync: string;
  size: number;
  tricklePerSecond: number;
  paths: PathCost[];
  /** Both roles running with nothing to do: commands per second (timers, heartbeats, blocking reads). */
  idleCommandsPerSecond: number;
  /** The idle commands per second by name. */
  idleByCommand: Array<{ command: string; perSecond: number }>;
}

interface Env {
  redis: BenchRedis;
  sinks: SinkSet;
  target: { host: string; port: number };
  listener: VmtaProcess;
  delivery?: VmtaProcess;
  startDelivery(): Promise<VmtaProcess>;
  stop(): Promise<void>;
}

async function startEnv(ctx: Context, opts: BenchOptions, name: string, withDelivery: boolean): Promise<Env> {
  const tmp = tempDir(`redis-cost-${name}`);
  const sinks = await startSinks(ctx.tools.smtpSink, ADDR.sink, 1);
  const redis = await startBenchRedis(path.join(tmp.dir, 'redis'), opts.fsync);
  const target = { host: ADDR.listener, port: await getFreePort(ADDR.listener) };
  const config = path.join(tmp.dir, 'vmta.conf');
  writeFileSync(config, benchConfig({ listener: target, sink: sinks.each[0]!, maxSmtpOut: 20 }));
  // BENCH_REDIS_COST_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/x"): node flags of both roles, for a profile of one path.
  const nodeFlags = process.env.BENCH_REDIS_COST_NODE_FLAGS?.split(' ').filter(Boolean);
  const spawnRole = (role: 'listener' | 'delivery') => spawnVmta({ cli: ctx.cli, config, role, redisUrl: redis.url, prefix: 'bench', dir: tmp.dir, ...(nodeFlags ? { nodeFlags } : {}) });
  const listener = await spawnRole('listener');
  const env: Env = {
    redis,
    sinks,
    target,
    listener,
    async startDelivery() {
      env.delivery = await spawnRole('delivery');
      return env.delivery;
    },
    async stop() {
      await env.delivery?.stop().catch(() => undefined);
      await listener.stop().catch(() => undefined);
      await redis.stop().catch(() => undefined);
      await sinks.all.stop().catch(() => undefined);
      tmp.remove();
    },
  };
  if (withDelivery) await env.startDelivery();
  return env;
}

/** A window over which Redis, CPU and the sink are read before and after. */
/** `prelude` (starting the delivery process) runs inside the Redis and sink window, before the CPU readings start (its start-up CPU is left out). */
async function window(env: Env, messages: number, expected: number, run: () => Promise<unknown>, prelude?: () => Promise<unknown>): Promise<Omit<PathCost, 'name' | 'describe'>> {
  const procs = (): Array<[string, () => number]> => [
    ['listener', env.listener.cpu],
    ...(env.delivery ? ([['delivery', env.delivery.cpu]] as Array<[string, () => number]>) : []),
    ['redis-server', env.redis.cpu],
  ];
  const sink0 = env.sinks.all.count();
  const before: RedisSnapshot = await env.redis.snapshot();
  await prelude?.();
  const cpu0 = procs().map(([n, read]) => [n, read()] as const);
  const t0 = performance.now();
  await run();
  const seconds = (performance.now() - t0) / 1000;
  const after = await env.redis.snapshot();
  const cpuMsPerMessage: Record<string, number> = {};
  for (const [n, read] of procs()) {
    const c0 = cpu0.find(([m]) => m === n)?.[1] ?? 0;
    cpuMsPerMessage[n] = ((read() - c0) * 1000) / messages;
  }
  return { redis: costBetween(before, after, messages), cpuMsPerMessage, seconds, delivered: env.sinks.all.count() - sink0, expected };
}

const n0 = (x: number) => Math.round(x);

/**
 * Messages of the one and many paths: BENCH_REDIS_COST_MESSAGES (a whole number, 1 to 1,000,000) or
 * the default (400, 100 with --quick). More messages give steadier per-message figures of one path.
 */
export function redisCostMessages(value: string | undefined, quick: boolean): number {
  if (value === undefined || value.trim() === '') return quick ? 100 : 400;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new UsageError(`BENCH_REDIS_COST_MESSAGES must be a whole number from 1 to 1000000, not "${value}"`);
  return n;
}

export async function runRedisCost(ctx: Context, opts: BenchOptions): Promise<RedisCostResult> {
  const N = redisCostMessages(process.env.BENCH_REDIS_COST_MESSAGES, opts.quick);
  const fanN = opts.quick ? 20 : 60;
  const rate = 20;
  const body = Buffer.from(messageWithHeaders(sourceLikePayload(opts.size), FROM, TO, 'redis-cost'));
  const load = (env: Env, over: Partial<SenderLoad> & Pick<SenderLoad, 'messages'>): SenderLoad => ({
    host: env.target.host,
    port: env.target.port,
    sessions: opts.sessions,
    from: FROM,
    connectionPerMessage: true,
    recipients: () => [TO],
    body: () => body,
    ...over,
  });
  const send = async (l: SenderLoad) => {
    const r = await runSenders(l);
    if (r.failures) throw new Error(`redis-cost: ${r.failures} of ${l.messages} messages not accepted: ${r.firstError}`);
  };
  const drain = (env: Env, n: number) => env.sinks.all.waitFor(n, 120_000 + n * 200);
  const fanRcpts = (k: number) => Array.from({ length: FANOUT.recipients }, (_, j) => `u${j}.m${k}@${fanoutDomain(j % FANOUT.domains)}`);
  const ownDomain = (k: number) => [manyDomainRecipient(k, 1_000_000)];
  const paths: PathCost[] = [];
  const add = (name: string, describe: string, w: Omit<PathCost, 'name' | 'describe'>) => {
    paths.push({ name, describe, ...w });
    ctx.log(`  ${name}: ${w.redis.commandsPerMessage.toFixed(1)} commands, ${n0(w.redis.netInBytesPerMessage)} B in, ${n0(w.redis.netOutBytesPerMessage)} B out per message; CPU ms/msg ${Object.entries(w.cpuMsPerMessage).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
  };
  let idleCommandsPerSecond = Number.NaN;
  let idleByCommand: RedisCostResult['idleByCommand'] = [];

  // Backlog paths: accept with the listener alone, then delivery alone.
  const backlog = async (name: string, label: string, l: (env: Env) => SenderLoad, deliveries: number) => {
    const env = await startEnv(ctx, opts, name, false);
    try {
      const msgs = l(env).messages;
      add(`accept: ${label}`, `listener only, ${msgs} messages`, await window(env, msgs, 0, () => send(l(env))));
      const w = await window(env, msgs, msgs * deliveries, () => drain(env, msgs * deliveries), () => env.startDelivery());
      add(`delivery (backlog): ${label}`, `delivery started after all ${msgs} messages were queued; until the sink has every delivery`, w);
      if (name === 'one') {
        // Runs that finished the backlog may still wait for more (trickle-linger.ts): the idle window starts after them.
        await sleep(3000);
        const w = await window(env, 1, 0, () => sleep(5000));
        idleCommandsPerSecond = w.redis.commandsPerMessage / w.seconds;
        idleByCommand = w.redis.byCommand.map((c) => ({ command: c.command, perSecond: c.callsPerMessage / w.seconds }));
        ctx.log(`  idle (both roles, nothing to do): ${idleCommandsPerSecond.toFixed(1)} commands/s: ${idleByCommand.map((c) => `${c.command} ${c.perSecond.toFixed(1)}`).join(', ')}`);
      }
    } finally {
      await env.stop();
    }
  };
  const trickle = async (name: string, label: string, l: (env: Env) => SenderLoad, deliveries: number, accept: string) => {
    const env = await startEnv(ctx, opts, name, true);
    try {
      await sleep(1000);
      const msgs = l(env).messages;
      const w = await window(env, msgs, msgs * deliveries, async () => {
        await send(l(env));
        await drain(env, msgs * deliveries);
      });
      const a = paths.find((p) => p.name === accept)?.redis;
      const deliveryShare = a && {
        commandsPerMessage: w.redis.commandsPerMessage - a.commandsPerMessage,
        netInBytesPerMessage: w.redis.netInBytesPerMessage - a.netInBytesPerMessage,
        netOutBytesPerMessage: w.redis.netOutBytesPerMessage - a.netOutBytesPerMessage,
      };
      add(`trickle: ${label}`, `listener and delivery running, ${msgs} messages offered at ${rate}/s, one connection per message, until the sink has every delivery`, { ...w, ...(deliveryShare ? { deliveryShare } : {}) });
    } finally {
      await env.stop();
    }
  };

  const one = 'one connection per message, 1 recipient';
  const many = 'one connection per message, 1 recipient, every message its own domain';
  const fan = `${FANOUT.recipients} recipients over ${FANOUT.domains} domains, reused connections`;
  // BENCH_REDIS_COST_PATHS=one,many,fan,trickle-one,trickle-many runs only those (a paired comparison of one path); default all.
  const only = process.env.BENCH_REDIS_COST_PATHS?.split(',').map((s) => s.trim()).filter(Boolean);
  const wanted = (name: string) => !only || only.includes(name);
  if (wanted('one')) {
    ctx.log(`redis-cost: ${one}`);
    await backlog('one', one, (env) => load(env, { messages: N }), 1);
  }
  if (wanted('many')) {
    ctx.log(`redis-cost: ${many}`);
    await backlog('many', many, (env) => load(env, { messages: N, recipients: ownDomain }), 1);
  }
  if (wanted('fan')) {
    ctx.log(`redis-cost: ${fan}`);
    await backlog('fan', fan, (env) => load(env, { messages: fanN, connectionPerMessage: false, recipients: fanRcpts }), FANOUT.domains);
  }
  const tN = opts.quick ? 60 : 300;
  if (wanted('trickle-one')) {
    ctx.log(`redis-cost: trickle at ${rate}/s, ${one}`);
    await trickle('trickle-one', one, (env) => load(env, { messages: tN, rate }), 1, `accept: ${one}`);
  }
  if (wanted('trickle-many')) {
    ctx.log(`redis-cost: trickle at ${rate}/s, ${many}`);
    await trickle('trickle-many', many, (env) => load(env, { messages: tN, rate, recipients: ownDomain }), 1, `accept: ${many}`);
  }
  return { fsync: opts.fsync, size: opts.size, tricklePerSecond: rate, paths, idleCommandsPerSecond, idleByCommand };
}
