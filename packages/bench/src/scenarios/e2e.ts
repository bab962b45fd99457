/**
 * Scenario "e2e": the same load (smtp-source, 10 KB, 1 recipient, 20 sessions)
 * three ways, each into a fresh smtp-sink:
 *   (1) smtp-source → smtp-sink            the loopback ceiling
 *   (2) smtp-source → Postfix → smtp-sink  the baseline
 *   (3) smtp-source → our listener → Redis → our delivery → smtp-sink
 * Accepted rate = messages / smtp-source wall time; end to end = until the sink
 * has every message. Then, for (2) and (3), the final-dot-to-250 latency at half
 * of that run's accepted rate; for (3) Redis memory per queued message (delivery
 * stopped), Redis commands per message, and a --cpu-prof run of our processes.
 * (2) and (3) are repeated --runs times, alternating which goes first; the
 * report gives medians. Two single-run variants follow: a sink that answers
 * DATA only after a delay (smtp-sink -w), and recipients over many domains.
 * Every run is checked: the sink got exactly what was sent, nothing deferred.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getFreePort } from '@vmta/redis-server';
import { Keys, MessageStore } from '@vmta/queue';
import type { Redis } from 'ioredis';
import type { BenchOptions, Fsync } from '../args.js';
import { startBenchRedis, type BenchRedis } from '../bench-redis.js';
import { messageWithHeaders, sourceLikePayload, textPayload } from '../bodies.js';
import { summarizeProfiles, type CpuProfile, type ProfileSummary } from '../cpuprofile.js';
import { measureLatency } from '../latency-client.js';
import { startPostfix, type PostfixInstance } from '../postfix.js';
import { treeCpu, treeDelta } from '../proc-stat.js';
import { perMessage, type PerMessageStat } from '../redis-info.js';
import { startSink, type Sink } from '../sink.js';
import { runSource, sourceArgs, type SourceLoad, type SourceResult } from '../source.js';
import { manyDomainRecipient, sendManyDomains } from '../many-domains.js';
import { runOrder } from '../runs.js';
import { percentile, perSecond } from '../stats.js';
import { benchConfig, spawnVmta, type VmtaProcess } from '../vmta.js';
import { ADDR, deadline, FROM, pool, sleep, tempDir, TO, type Context } from './common.js';

export interface Latency {
  offeredPerSec: number;
  messages: number;
  failures: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface RunFigures {
  messages: number;
  acceptMs: number;
  endToEndMs: number;
  acceptedPerSec: number;
  endToEndPerSec: number;
  /** What the sink counted a second after the last expected message (more = duplicates). */
  sinkCount: number;
  /** Deferrals and bounces the MTA recorded over the run (Postfix: maillog status= lines; vmta: Redis totals); absent for direct. */
  deferred?: number;
  bounced?: number;
  /** Set when the sink did not have every message in time: how long we waited (sinkCount is what it had then). */
  cutoffMs?: number;
  sourceExitCode: number | null;
  /** CPU seconds per 1,000 messages, per process (or process tree), over the end-to-end window. */
  cpuPer1000: Record<string, number>;
  latency?: Latency;
}

export interface E2eResult {
  load: SourceLoad & { smtpSourceArgs: string[] };
  fsync: string;
  maxSmtpOut: number;
  direct: RunFigures;
  postfix: RunFigures & { cpuByProcess: Record<string, number> };
  vmta: RunFigures;
  /** The same run with the other appendfsync policy (accept, end to end, latency only). */
  vmtaOtherFsync?: RunFigures & { fsync: string };
  redis: {
    commandsPerMessage: PerMessageStat[];
    totalCallsPerMessage: number;
    /** used_memory growth per message queued with delivery stopped (smtp-source body). */
    memoryPerMessage: number;
    memoryMessages: number;
    /** Same, body of pseudo-random text enqueued through packages/queue. */
    memoryPerTextMessage: number;
    textBodyBytes: number;
    textStoredBytes: number;
    acceptOnlyPerSec: number;
    drainOnlyPerSec: number;
    slowlog: Array<{ us: number; command: string }>;
  };
  profile?: { listener: ProfileSummary; delivery: ProfileSummary; messages: number };
  /**
   * Every run of the repeated measurement, in the order they ran (`order`); `direct`, `postfix`
   * and `vmta` above are the first run of each (the one with the Redis figures and profile).
   */
  runs?: { direct: RunFigures[]; postfix: RunFigures[]; vmta: RunFigures[]; order: string[] };
  slowSink?: VariantResult;
  manyDomains?: VariantResult;
}

/** A single-run variant of the load: Postfix and vmta (appendfsync as the main runs) on the same load. */
export interface VariantResult {
  messages: number;
  sessions: number;
  /** What generated the load and what the sink did, for the report. */
  loadArgs: string[];
  sinkArgs: string[];
  domains: number;
  direct?: RunFigures;
  postfix: RunFigures;
  vmta: RunFigures;
}

interface Meter {
  name: string;
  read(): number;
}

type Target = { host: string; port: number };
/** Sends one run's load to the target (smtp-source, or our client for the many-domain variant). */
type Send = (target: Target) => Promise<SourceResult>;
/** Deferrals and bounces the MTA has recorded so far; read before and after a run. */
type Outcomes = () => Promise<{ deferred: number; bounced: number }>;

async function measure(
  ctx: Context,
  sink: Sink,
  offset: number,
  messages: number,
  target: Target,
  send: Send,
  meters: Meter[],
  outcomes?: Outcomes,
  timeoutMs = deadline(messages),
): Promise<RunFigures> {
  const o0 = outcomes ? await outcomes() : undefined;
  const before = meters.map((m) => m.read());
  const t0 = performance.now();
  // A sink that never gets everything is a failed check in the report, not a crash of the whole bench.
  let cutoff: { ms: number; count: number } | undefined;
  const arrived = sink.waitFor(offset + messages, timeoutMs).catch((err: Error) => {
    ctx.log(`  ${err.message}`);
    cutoff = { ms: performance.now() - t0, count: sink.count() - offset };
    return Number.NaN;
  });
  const src = await send(target);
  if (src.exitCode !== 0) ctx.log(`  load generator exited ${src.exitCode}: ${src.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const tEnd = await arrived;
  const after = meters.map((m) => m.read());
  await sleep(1000);
  const o1 = outcomes ? await outcomes() : undefined;
  const e2eMs = tEnd - t0;
  const cpuPer1000: Record<string, number> = {};
  meters.forEach((m, i) => (cpuPer1000[m.name] = ((after[i]! - before[i]!) * 1000) / messages));
  return {
    messages,
    acceptMs: src.ms,
    endToEndMs: e2eMs,
    acceptedPerSec: perSecond(messages, src.ms),
    endToEndPerSec: Number.isFinite(e2eMs) ? perSecond(messages, e2eMs) : Number.NaN,
    sinkCount: cutoff ? cutoff.count : sink.count() - offset,
    ...(cutoff ? { cutoffMs: cutoff.ms } : {}),
    ...(o0 && o1 ? { deferred: o1.deferred - o0.deferred, bounced: o1.bounced - o0.bounced } : {}),
    sourceExitCode: src.exitCode,
    cpuPer1000,
  };
}

async function latencyAt(sink: Sink, offset: number, rate: number, messages: number, target: Target, load: SourceLoad): Promise<Latency> {
  const arrived = sink.waitFor(offset + messages, deadline(messages));
  const body = messageWithHeaders(sourceLikePayload(load.size), load.from, load.to, 'latency');
  const r = await measureLatency({ ...target, sessions: load.sessions, messages, rate, from: load.from, to: load.to, body });
  await arrived.catch(() => undefined);
  return {
    offeredPerSec: rate,
    messages: r.samples.length,
    failures: r.failures,
    p50: percentile(r.samples, 50),
    p90: percentile(r.samples, 90),
    p99: percentile(r.samples, 99),
    max: Math.max(...r.samples),
  };
}

function latencyCount(opts: BenchOptions): number {
  return Math.min(opts.messages, opts.quick ? 500 : 5000);
}

const smtpSource =
  (ctx: Context, load: SourceLoad): Send =>
  (t) =>
    runSource(ctx.tools.smtpSource, load, t.host, t.port);

async function runDirect(ctx: Context, messages: number, send: Send): Promise<RunFigures> {
  const sink = await startSink(ctx.tools.smtpSink, ADDR.sink, await getFreePort(ADDR.sink));
  try {
    return await measure(ctx, sink, 0, messages, sink, send, [{ name: 'smtp-sink', read: sink.cpu }]);
  } finally {
    await sink.stop();
  }
}

interface PostfixEnv {
  sink: Sink;
  smtpd: Target;
  pf: PostfixInstance;
}

async function withPostfix<T>(ctx: Context, maxSmtpOut: number, sinkArgs: string[], fn: (env: PostfixEnv) => Promise<T>): Promise<T> {
  const tmp = tempDir('postfix');
  const sink = await startSink(ctx.tools.smtpSink, ADDR.sink, await getFreePort(ADDR.sink), sinkArgs);
  const smtpd = { host: ADDR.postfix, port: await getFreePort(ADDR.postfix) };
  const pf = await startPostfix({ postfix: ctx.tools.postfix, dir: tmp.dir, smtpd, relay: sink, concurrency: maxSmtpOut });
  try {
    await sleep(500);
    return await fn({ sink, smtpd, pf });
  } catch (err) {
    ctx.log(pf.logTail());
    throw err;
  } finally {
    await pf.stop();
    await sink.stop();
    tmp.remove();
  }
}

/** One measured Postfix run, with its CPU split by process name. */
async function measurePostfix(ctx: Context, env: PostfixEnv, messages: number, send: Send, timeoutMs?: number): Promise<E2eResult['postfix']> {
  const master = env.pf.masterPid();
  const t0 = treeCpu(master);
  const figures = await measure(
    ctx,
    env.sink,
    0,
    messages,
    env.smtpd,
    send,
    [
      { name: 'postfix (all processes)', read: () => treeCpu(master).total },
      { name: 'smtp-sink', read: env.sink.cpu },
    ],
    async () => env.pf.statusCounts(),
    timeoutMs,
  );
  const d = treeDelta(t0, treeCpu(master));
  const cpuByProcess: Record<string, number> = {};
  for (const [name, s] of Object.entries(d.byName)) if (s > 0) cpuByProcess[name] = (s * 1000) / messages;
  if (d.reaped > 0) cpuByProcess['(exited children)'] = (d.reaped * 1000) / messages;
  ctx.log(`  postfix: accepted ${figures.acceptedPerSec.toFixed(0)}/s, end to end ${figures.endToEndPerSec.toFixed(0)}/s, sink ${figures.sinkCount}/${messages}, deferred ${figures.deferred}`);
  return { ...figures, cpuByProcess };
}

async function runPostfix(ctx: Context, opts: BenchOptions, load: SourceLoad, maxSmtpOut: number): Promise<E2eResult['postfix']> {
  return withPostfix(ctx, maxSmtpOut, [], async (env) => {
    const figures = await measurePostfix(ctx, env, load.messages, smtpSource(ctx, load));
    const rate = figures.acceptedPerSec / 2;
    ctx.log(`  postfix latency at ${rate.toFixed(0)}/s`);
    figures.latency = await latencyAt(env.sink, figures.sinkCount, rate, latencyCount(opts), env.smtpd, load);
    return figures;
  });
}

function readProfiles(dir: string, pid: number): CpuProfile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.`))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as CpuProfile);
}

const PREFIX = 'bench';

interface VmtaEnv {
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

/** A fresh Redis (AOF, the given appendfsync), sink, listener and delivery process for one run. */
async function withVmta<T>(ctx: Context, fsync: Fsync, maxSmtpOut: number, sinkArgs: string[], fn: (env: VmtaEnv) => Promise<T>): Promise<T> {
  const tmp = tempDir('vmta');
  const redis = await startBenchRedis(path.join(tmp.dir, 'redis'), fsync);
  const sink = await startSink(ctx.tools.smtpSink, ADDR.sink, await getFreePort(ADDR.sink), sinkArgs);
  const listenAt = { host: ADDR.listener, port: await getFreePort(ADDR.listener) };
  const config = path.join(tmp.dir, 'vmta.conf');
  writeFileSync(config, benchConfig({ listener: listenAt, sink, maxSmtpOut }));
  const spawnRole = (role: 'listener' | 'delivery', nodeFlags?: string[], name?: string) =>
    spawnVmta({ cli: ctx.cli, config, role, redisUrl: redis.url, prefix: PREFIX, dir: tmp.dir, nodeFlags, name });
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

/** Cluster-wide totals our finish script keeps; a deferral is counted there whatever the reason. */
async function vmtaOutcomes(client: Redis): Promise<{ deferred: number; bounced: number }> {
  const h = await client.hgetall(new Keys(PREFIX).totals());
  return { deferred: Number(h.deferred ?? 0), bounced: Number(h.bounced ?? 0) };
}

function measureVmta(ctx: Context, env: VmtaEnv, messages: number, send: Send, timeoutMs?: number): Promise<RunFigures> {
  return measure(
    ctx,
    env.sink,
    0,
    messages,
    env.listenAt,
    send,
    [
      { name: 'vmta listener', read: () => env.listener.cpu() },
      { name: 'vmta delivery', read: () => env.delivery.cpu() },
      { name: 'redis-server', read: env.redis.cpu },
      { name: 'smtp-sink', read: env.sink.cpu },
    ],
    () => vmtaOutcomes(env.redis.client),
    timeoutMs,
  );
}

type RedisFigures = E2eResult['redis'];

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

/** One measured vmta run plus its latency; with `extras`, also the Redis figures and the profile. */
async function runVmta(
  ctx: Context,
  opts: BenchOptions,
  load: SourceLoad,
  maxSmtpOut: number,
  fsync: Fsync,
  extras: boolean,
): Promise<{ figures: RunFigures; redis?: RedisFigures; profile?: E2eResult['profile'] }> {
  return withVmta(ctx, fsync, maxSmtpOut, [], async (env) => {
    await env.redis.resetStats();
    const figures = await measureVmta(ctx, env, load.messages, smtpSource(ctx, load));
    const stats = await env.redis.commandStats();
    const slowlog = await env.redis.slowlog(10);
    ctx.log(`  vmta (appendfsync ${fsync}): accepted ${figures.acceptedPerSec.toFixed(0)}/s, end to end ${figures.endToEndPerSec.toFixed(0)}/s, sink ${figures.sinkCount}/${load.messages}, deferred ${figures.deferred}`);
    const rate = figures.acceptedPerSec / 2;
    ctx.log(`  vmta latency at ${rate.toFixed(0)}/s`);
    figures.latency = await latencyAt(env.sink, figures.sinkCount, rate, latencyCount(opts), env.listenAt, load);
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

/**
 * Slow sink: smtp-sink waits `-w` seconds before its reply to DATA, so each
 * connection carries at most one message per delay and the MTA's queue fills.
 */
async function runSlowSink(ctx: Context, opts: BenchOptions, load: SourceLoad, maxSmtpOut: number): Promise<VariantResult> {
  const slow = { ...load, messages: opts.slowMessages };
  const sinkArgs = ['-w', String(opts.slowDelaySeconds)];
  // At most maxSmtpOut / delay messages per second reach the sink; Postfix gets four times that long.
  const postfixLimit = deadline(slow.messages, Math.max(1, maxSmtpOut / opts.slowDelaySeconds / 4));
  ctx.log(`e2e slow sink (smtp-sink ${sinkArgs.join(' ')}): ${slow.messages} messages to Postfix`);
  const postfix = await withPostfix(ctx, maxSmtpOut, sinkArgs, (env) => measurePostfix(ctx, env, slow.messages, smtpSource(ctx, slow), postfixLimit));
  // vmta gets twice what Postfix needed (at least a minute): a cut-off run is reported as such, with what arrived by then.
  const vmtaLimit = Math.max(60_000, 2 * (Number.isFinite(postfix.endToEndMs) ? postfix.endToEndMs : postfixLimit));
  ctx.log(`e2e slow sink: ${slow.messages} messages to vmta (cut off after ${Math.round(vmtaLimit / 1000)} s)`);
  const vmta = await withVmta(ctx, opts.fsync, maxSmtpOut, sinkArgs, (env) => measureVmta(ctx, env, slow.messages, smtpSource(ctx, slow), vmtaLimit));
  ctx.log(`  vmta: accepted ${vmta.acceptedPerSec.toFixed(0)}/s, end to end ${vmta.endToEndPerSec.toFixed(0)}/s, sink ${vmta.sinkCount}/${slow.messages}, deferred ${vmta.deferred}`);
  return { messages: slow.messages, sessions: slow.sessions, loadArgs: sourceArgs(slow, '<host>', 0).slice(0, -1), sinkArgs, domains: 1, postfix, vmta };
}

/** Many domains: recipients round-robin over `manyDomains` domains, all routed to the one sink. */
async function runManyDomains(ctx: Context, opts: BenchOptions, load: SourceLoad, maxSmtpOut: number): Promise<VariantResult> {
  const domains = opts.manyDomains;
  const body = messageWithHeaders(sourceLikePayload(load.size), load.from, manyDomainRecipient(0, domains), 'many');
  const many = { messages: load.messages, sessions: load.sessions, domains, from: load.from, body };
  const send: Send = (t) => sendManyDomains(many, t.host, t.port);
  ctx.log(`e2e many domains: ${many.messages} messages over ${domains} domains, our client → smtp-sink`);
  const direct = await runDirect(ctx, many.messages, send);
  ctx.log(`  direct: ${direct.acceptedPerSec.toFixed(0)}/s`);
  ctx.log('e2e many domains: to Postfix');
  const postfix = await withPostfix(ctx, maxSmtpOut, [], (env) => measurePostfix(ctx, env, many.messages, send));
  ctx.log('e2e many domains: to vmta');
  const vmta = await withVmta(ctx, opts.fsync, maxSmtpOut, [], (env) => measureVmta(ctx, env, many.messages, send));
  ctx.log(`  vmta: accepted ${vmta.acceptedPerSec.toFixed(0)}/s, end to end ${vmta.endToEndPerSec.toFixed(0)}/s, sink ${vmta.sinkCount}/${many.messages}, deferred ${vmta.deferred}`);
  return {
    messages: many.messages,
    sessions: many.sessions,
    loadArgs: [`packages/bench many-domain client: ${many.sessions} sessions, ${n(load.size)} B payload, 1 recipient u<k>@d<k mod ${domains}>.many.bench.test`],
    sinkArgs: [],
    domains,
    direct,
    postfix,
    vmta,
  };
}

const n = (x: number) => x.toLocaleString('en-US');

export async function runE2e(ctx: Context, opts: BenchOptions): Promise<E2eResult> {
  const maxSmtpOut = 20;
  const load: SourceLoad = { messages: opts.messages, sessions: opts.sessions, size: opts.size, from: FROM, to: TO };
  const runs: NonNullable<E2eResult['runs']> = { direct: [], postfix: [], vmta: [], order: [] };
  let redis: RedisFigures | undefined;
  let profile: E2eResult['profile'];
  let firstPostfix: E2eResult['postfix'] | undefined;
  for (let i = 0; i < opts.runs; i++) {
    const tag = `e2e run ${i + 1}/${opts.runs}`;
    ctx.log(`${tag}: smtp-source → smtp-sink, ${load.messages} messages`);
    const direct = await runDirect(ctx, load.messages, smtpSource(ctx, load));
    runs.direct.push(direct);
    ctx.log(`  direct: ${direct.acceptedPerSec.toFixed(0)}/s`);
    for (const mta of runOrder(i)) {
      if (mta === 'postfix') {
        ctx.log(`${tag}: smtp-source → Postfix → smtp-sink`);
        const pf = await runPostfix(ctx, opts, load, maxSmtpOut);
        firstPostfix ??= pf;
        runs.postfix.push(pf);
      } else {
        ctx.log(`${tag}: smtp-source → vmta listener → Redis (appendfsync ${opts.fsync}) → vmta delivery → smtp-sink`);
        const r = await runVmta(ctx, opts, load, maxSmtpOut, opts.fsync, i === 0);
        runs.vmta.push(r.figures);
        if (r.redis) ({ redis, profile } = r);
      }
      runs.order.push(`${i + 1}:${mta}`);
    }
  }
  const other = opts.fsync === 'always' ? 'everysec' : 'always';
  ctx.log(`e2e (single run): the same with appendfsync ${other}`);
  const otherRun = await runVmta(ctx, opts, load, maxSmtpOut, other, false);
  const slowSink = opts.variants ? await runSlowSink(ctx, opts, load, maxSmtpOut) : undefined;
  const manyDomains = opts.variants ? await runManyDomains(ctx, opts, load, maxSmtpOut) : undefined;
  return {
    load: { ...load, smtpSourceArgs: sourceArgs(load, '<host>', 0).slice(0, -1) },
    fsync: opts.fsync,
    maxSmtpOut,
    direct: runs.direct[0]!,
    postfix: firstPostfix!,
    vmta: runs.vmta[0]!,
    vmtaOtherFsync: { ...otherRun.figures, fsync: other },
    redis: redis!,
    profile,
    runs,
    ...(slowSink ? { slowSink } : {}),
    ...(manyDomains ? { manyDomains } : {}),
  };
}
