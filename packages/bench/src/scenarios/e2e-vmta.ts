/** Our side of the e2e scenario: private Redis, listener and delivery processes, a fresh smtp-sink; Redis figures and CPU profiles. */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getFreePort } from '@vmta/redis-server';
import { Keys, MessageStore } from '@vmta/queue';
import type { Redis } from 'ioredis';
import type { BenchOptions, Fsync } from '../args.js';
import { startBenchRedis, type BenchRedis } from '../bench-redis.js';
import { messageWithHeaders, textPayload } from '../bodies.js';
import { summarizeProfiles, type CpuProfile } from '../cpuprofile.js';
import { perMessage } from '../redis-info.js';
import { startSink, type Sink } from '../sink.js';
import { runSource, type SourceLoad } from '../source.js';
import { perSecond } from '../stats.js';
import { benchConfig, spawnVmta, type VmtaProcess } from '../vmta.js';
import { ADDR, deadline, FROM, pool, sleep, tempDir, TO, type Context } from './common.js';
import { latencyAt, latencyCount, measure, smtpSource, warmUp, type Send, type Target } from './e2e-measure.js';
import type { E2eResult, RunFigures } from './e2e-types.js';

function readProfiles(dir: string, pid: number): CpuProfile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.`))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as CpuProfile);
}

const PREFIX = 'bench';

export interface VmtaEnv {
  tmp: { dir: string };
  sink: Sink;
  redis: BenchRedis;
  listenAt: Target;
  /** Running processes; whoever replaces one keeps this list current so the cleanup stops them. */
  procs: VmtaProcess[];
  listener: VmtaProcess;
  delivery: VmtaProcess;
  spawnRole(role: 'listener' | 'delivery', nodeFlags?: string[], name?: string): Promise<VmtaProcess>;
}

/** How one run's processes are started: smtp-sink's arguments, extra `vmta start` arguments of the delivery process. */
export interface VmtaSetup {
  sinkArgs?: string[];
  deliveryArgs?: string[];
}

/** A fresh Redis (AOF, the given appendfsync), sink, listener and delivery process for one run. */
export async function withVmta<T>(ctx: Context, fsync: Fsync, maxSmtpOut: number, setup: VmtaSetup, fn: (env: VmtaEnv) => Promise<T>): Promise<T> {
  const tmp = tempDir('vmta');
  const redis = await startBenchRedis(path.join(tmp.dir, 'redis'), fsync);
  const sink = await startSink(ctx.tools.smtpSink, ADDR.sink, await getFreePort(ADDR.sink), setup.sinkArgs ?? []);
  const listenAt = { host: ADDR.listener, port: await getFreePort(ADDR.listener) };
  const config = path.join(tmp.dir, 'vmta.conf');
  writeFileSync(config, benchConfig({ listener: listenAt, sink, maxSmtpOut }));
  const spawnRole = (role: 'listener' | 'delivery', nodeFlags?: string[], name?: string) =>
    spawnVmta({ cli: ctx.cli, config, role, redisUrl: redis.url, prefix: PREFIX, dir: tmp.dir, nodeFlags, name, args: role === 'delivery' ? setup.deliveryArgs : undefined });
  const procs: VmtaProcess[] = [];
  try {
    const listener = await spawnRole('listener');
    procs.push(listener);
    const delivery = await spawnRole('delivery');
    procs.push(delivery);
    return await fn({ tmp, sink, redis, listenAt, procs, listener, delivery, spawnRole });
  } finally {
    for (const p of procs) await p.stop();
    await sink.stop();
    await redis.stop();
    tmp.remove();
  }
}

/** Cluster-wide totals our recordOutcomes script keeps; a deferral is counted there whatever the reason. */
async function vmtaOutcomes(client: Redis): Promise<{ deferred: number; bounced: number }> {
  const h = await client.hgetall(new Keys(PREFIX).totals());
  return { deferred: Number(h.deferred ?? 0), bounced: Number(h.bounced ?? 0) };
}

export function measureVmta(ctx: Context, env: VmtaEnv, messages: number, send: Send, timeoutMs?: number, offset = 0): Promise<RunFigures> {
  return measure(
    ctx,
    env.sink,
    offset,
    messages,
    env.listenAt,
    send,
    [
      { name: 'vmta listener', read: () => env.listener.cpu(), nice: () => env.listener.nice() },
      { name: 'vmta delivery', read: () => env.delivery.cpu(), nice: () => env.delivery.nice() },
      { name: 'redis-server', read: env.redis.cpu },
      { name: 'smtp-sink', read: env.sink.cpu },
    ],
    () => vmtaOutcomes(env.redis.client),
    timeoutMs,
  );
}

export type RedisFigures = E2eResult['redis'];

/**
 * After the first measured vmta run, on the same processes: Redis memory per queued
 * message (delivery stopped), the drain of that backlog, a text body through
 * packages/queue, and a --cpu-prof run.
 */
async function vmtaExtras(ctx: Context, opts: BenchOptions, env: VmtaEnv, load: SourceLoad): Promise<{ redis: Omit<RedisFigures, 'commandsPerMessage' | 'totalCallsPerMessage' | 'slowlog'>; profile?: E2eResult['profile'] }> {
  const { sink, redis, listenAt } = env;
  let seen = sink.count();
  ctx.log('  Redis memory per queued message (delivery stopped)');
  await env.delivery.stop();
  await sleep(500);
  const mem0 = await redis.usedMemory();
  const acceptOnly = await runSource(ctx.tools.smtpSource, load, listenAt.host, listenAt.port);
  await sleep(500);
  const mem1 = await redis.usedMemory();
  const drained = sink.waitFor(seen + load.messages, deadline(load.messages));
  const tDrain = performance.now();
  env.delivery = await env.spawnRole('delivery', undefined, 'delivery-2');
  env.procs.push(env.delivery);
  const drainMs = (await drained) - tDrain;
  await sleep(1000);
  seen = sink.count();

  // A less compressible body, straight into packages/queue under another prefix (nobody delivers it).
  const textBody = Buffer.from(messageWithHeaders(textPayload(opts.size), FROM, TO, 'text'));
  const textStore = new MessageStore(redis.client, { prefix: 'benchmem' });
  const textCount = opts.quick ? 200 : 2000;
  const memT0 = await redis.usedMemory();
  let textStored = 0;
  await pool(Array.from({ length: textCount }, (_, i) => i), 32, async () => {
    const { id } = await textStore.enqueue({
      mailFrom: FROM,
      recipients: [{ address: TO, domain: 'sink.bench.test' }],
      body: textBody,
      vmta: 'bench',
      source: { ip: '127.0.0.1', listener: `${listenAt.host}:${listenAt.port}` },
      receivedAt: Date.now(),
    });
    textStored = await redis.client.strlen(textStore.keys.messageBody(id));
  });
  const memT1 = await redis.usedMemory();
  await textStore.dispatcher.close();

  let profile: E2eResult['profile'];
  if (opts.profile) {
    ctx.log('  --cpu-prof run of listener and delivery');
    for (const p of env.procs) await p.stop();
    env.procs.length = 0;
    const profDir = path.join(env.tmp.dir, 'prof');
    const flags = ['--cpu-prof', `--cpu-prof-dir=${profDir}`];
    const pl = await env.spawnRole('listener', flags, 'listener-prof');
    env.procs.push(pl);
    const pd = await env.spawnRole('delivery', flags, 'delivery-prof');
    env.procs.push(pd);
    const arrived = sink.waitFor(seen + load.messages, deadline(load.messages));
    await runSource(ctx.tools.smtpSource, load, listenAt.host, listenAt.port);
    await arrived;
    await pl.stop();
    await pd.stop();
    env.procs.length = 0;
    profile = {
      messages: load.messages,
      listener: summarizeProfiles(readProfiles(profDir, pl.pid), 20),
      delivery: summarizeProfiles(readProfiles(profDir, pd.pid), 20),
    };
  }
  return {
    redis: {
      memoryPerMessage: (mem1 - mem0) / load.messages,
      memoryMessages: load.messages,
      memoryPerTextMessage: (memT1 - memT0) / textCount,
      textBodyBytes: textBody.length,
      textStoredBytes: textStored,
      acceptOnlyPerSec: perSecond(load.messages, acceptOnly.ms),
      drainOnlyPerSec: perSecond(load.messages, drainMs),
    },
    profile,
  };
}

/**
 * One measured vmta run plus its latency; with `extras`, also the Redis figures and the profile.
 * `deliveryArgs` go to the delivery process's `vmta start` (e.g. `--nice 0`). `warmup` messages of the
 * same load go through the fresh processes first (not measured; Redis stats reset after them).
 */
export async function runVmta(
  ctx: Context,
  opts: BenchOptions,
  load: SourceLoad,
  maxSmtpOut: number,
  fsync: Fsync,
  extras: boolean,
  deliveryArgs: string[] = [],
  warmup = 0,
): Promise<{ figures: RunFigures; redis?: RedisFigures; profile?: E2eResult['profile'] }> {
  return withVmta(ctx, fsync, maxSmtpOut, { deliveryArgs }, async (env) => {
    const offset = await warmUp(ctx, env.sink, warmup, env.listenAt, smtpSource(ctx, { ...load, messages: warmup }));
    await env.redis.resetStats();
    const figures = await measureVmta(ctx, env, load.messages, smtpSource(ctx, load), undefined, offset);
    const stats = await env.redis.commandStats();
    const slowlog = await env.redis.slowlog(10);
    const nice = figures.nice ? `, nice listener ${figures.nice['vmta listener']} / delivery ${figures.nice['vmta delivery']}` : '';
    ctx.log(`  vmta (appendfsync ${fsync}${nice}): accepted ${figures.acceptedPerSec.toFixed(0)}/s, end to end ${figures.endToEndPerSec.toFixed(0)}/s, sink ${figures.sinkCount}/${load.messages}, deferred ${figures.deferred}`);
    const rate = figures.acceptedPerSec / 2;
    ctx.log(`  vmta latency at ${rate.toFixed(0)}/s`);
    figures.latency = await latencyAt(env.sink, offset + figures.sinkCount, rate, latencyCount(opts), env.listenAt, load);
    await sleep(1000);
    if (!extras) return { figures };
    const more = await vmtaExtras(ctx, opts, env, load);
    const calls = perMessage(stats, figures.messages);
    return {
      figures,
      redis: { commandsPerMessage: calls, totalCallsPerMessage: calls.reduce((s, c) => s + c.callsPerMessage, 0), slowlog, ...more.redis },
      profile: more.profile,
    };
  });
}
