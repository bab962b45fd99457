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
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getFreePort } from '@vmta/redis-server';
import { MessageStore } from '@vmta/queue';
import type { BenchOptions } from '../args.js';
import { startBenchRedis } from '../bench-redis.js';
import { messageWithHeaders, sourceLikePayload, textPayload } from '../bodies.js';
import { summarizeProfiles, type CpuProfile, type ProfileSummary } from '../cpuprofile.js';
import { measureLatency } from '../latency-client.js';
import { startPostfix } from '../postfix.js';
import { treeCpu, treeDelta } from '../proc-stat.js';
import { perMessage, type PerMessageStat } from '../redis-info.js';
import { startSink, type Sink } from '../sink.js';
import { runSource, sourceArgs, type SourceLoad } from '../source.js';
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
}

interface Meter {
  name: string;
  read(): number;
}

async function measure(
  sink: Sink,
  offset: number,
  load: SourceLoad,
  ctx: Context,
  target: { host: string; port: number },
  meters: Meter[],
): Promise<RunFigures> {
  const before = meters.map((m) => m.read());
  const t0 = performance.now();
  const arrived = sink.waitFor(offset + load.messages, deadline(load.messages));
  const src = await runSource(ctx.tools.smtpSource, load, target.host, target.port);
  if (src.exitCode !== 0) ctx.log(`  smtp-source exited ${src.exitCode}: ${src.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const tEnd = await arrived;
  const after = meters.map((m) => m.read());
  await sleep(1000);
  const e2eMs = tEnd - t0;
  const cpuPer1000: Record<string, number> = {};
  meters.forEach((m, i) => (cpuPer1000[m.name] = ((after[i]! - before[i]!) * 1000) / load.messages));
  return {
    messages: load.messages,
    acceptMs: src.ms,
    endToEndMs: e2eMs,
    acceptedPerSec: perSecond(load.messages, src.ms),
    endToEndPerSec: perSecond(load.messages, e2eMs),
    sinkCount: sink.count() - offset,
    sourceExitCode: src.exitCode,
    cpuPer1000,
  };
}

async function latencyAt(sink: Sink, offset: number, rate: number, messages: number, target: { host: string; port: number }, load: SourceLoad): Promise<Latency> {
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

async function runDirect(ctx: Context, load: SourceLoad): Promise<RunFigures> {
  const sink = await startSink(ctx.tools.smtpSink, ADDR.sink, await getFreePort(ADDR.sink));
  try {
    return await measure(sink, 0, load, ctx, sink, [{ name: 'smtp-sink', read: sink.cpu }]);
  } finally {
    await sink.stop();
  }
}

async function runPostfix(ctx: Context, opts: BenchOptions, load: SourceLoad, maxSmtpOut: number): Promise<E2eResult['postfix']> {
  const tmp = tempDir('postfix');
  const sink = await startSink(ctx.tools.smtpSink, ADDR.sink, await getFreePort(ADDR.sink));
  const smtpd = { host: ADDR.postfix, port: await getFreePort(ADDR.postfix) };
  const pf = await startPostfix({ postfix: ctx.tools.postfix, dir: tmp.dir, smtpd, relay: sink, concurrency: maxSmtpOut });
  try {
    await sleep(500);
    const master = pf.masterPid();
    const t0 = treeCpu(master);
    const figures = await measure(sink, 0, load, ctx, smtpd, [
      { name: 'postfix (all processes)', read: () => treeCpu(master).total },
      { name: 'smtp-sink', read: sink.cpu },
    ]);
    const t1 = treeCpu(master);
    const d = treeDelta(t0, t1);
    const cpuByProcess: Record<string, number> = {};
    for (const [name, s] of Object.entries(d.byName)) if (s > 0) cpuByProcess[name] = (s * 1000) / load.messages;
    if (d.reaped > 0) cpuByProcess['(exited children)'] = (d.reaped * 1000) / load.messages;
    const rate = figures.acceptedPerSec / 2;
    ctx.log(`  postfix: accepted ${figures.acceptedPerSec.toFixed(0)}/s, end to end ${figures.endToEndPerSec.toFixed(0)}/s; latency at ${rate.toFixed(0)}/s`);
    figures.latency = await latencyAt(sink, figures.sinkCount, rate, latencyCount(opts), smtpd, load);
    return { ...figures, cpuByProcess };
  } catch (err) {
    ctx.log(pf.logTail());
    throw err;
  } finally {
    await pf.stop();
    await sink.stop();
    tmp.remove();
  }
}

function readProfiles(dir: string, pid: number): CpuProfile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.`))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as CpuProfile);
}

/** Run (3) again on a fresh Redis with another appendfsync policy: rates, CPU and latency only. */
async function runVmtaWithFsync(ctx: Context, opts: BenchOptions, load: SourceLoad, maxSmtpOut: number, fsync: 'always' | 'everysec'): Promise<RunFigures & { fsync: string }> {
  const tmp = tempDir('vmta-fsync');
  const redis = await startBenchRedis(path.join(tmp.dir, 'redis'), fsync);
  const sink = await startSink(ctx.tools.smtpSink, ADDR.sink, await getFreePort(ADDR.sink));
  const listenAt = { host: ADDR.listener, port: await getFreePort(ADDR.listener) };
  const config = path.join(tmp.dir, 'vmta.conf');
  writeFileSync(config, benchConfig({ listener: listenAt, sink, maxSmtpOut }));
  const procs: VmtaProcess[] = [];
  try {
    for (const role of ['listener', 'delivery'] as const) procs.push(await spawnVmta({ cli: ctx.cli, config, role, redisUrl: redis.url, prefix: 'bench', dir: tmp.dir }));
    const [listener, delivery] = procs as [VmtaProcess, VmtaProcess];
    const figures = await measure(sink, 0, load, ctx, listenAt, [
      { name: 'vmta listener', read: listener.cpu },
      { name: 'vmta delivery', read: delivery.cpu },
      { name: 'redis-server', read: redis.cpu },
      { name: 'smtp-sink', read: sink.cpu },
    ]);
    ctx.log(`  vmta with appendfsync ${fsync}: accepted ${figures.acceptedPerSec.toFixed(0)}/s, end to end ${figures.endToEndPerSec.toFixed(0)}/s`);
    figures.latency = await latencyAt(sink, figures.sinkCount, figures.acceptedPerSec / 2, latencyCount(opts), listenAt, load);
    return { ...figures, fsync };
  } finally {
    for (const p of procs) await p.stop();
    await sink.stop();
    await redis.stop();
    tmp.remove();
  }
}

export async function runE2e(ctx: Context, opts: BenchOptions): Promise<E2eResult> {
  const maxSmtpOut = 20;
  const load: SourceLoad = { messages: opts.messages, sessions: opts.sessions, size: opts.size, from: FROM, to: TO };
  ctx.log(`e2e (1/3): smtp-source → smtp-sink, ${load.messages} messages`);
  const direct = await runDirect(ctx, load);
  ctx.log(`  direct: ${direct.acceptedPerSec.toFixed(0)}/s`);
  ctx.log('e2e (2/3): smtp-source → Postfix → smtp-sink');
  const postfix = await runPostfix(ctx, opts, load, maxSmtpOut);

  ctx.log(`e2e (3/3): smtp-source → vmta listener → Redis (appendfsync ${opts.fsync}) → vmta delivery → smtp-sink`);
  const tmp = tempDir('vmta');
  const redis = await startBenchRedis(path.join(tmp.dir, 'redis'), opts.fsync);
  const sink = await startSink(ctx.tools.smtpSink, ADDR.sink, await getFreePort(ADDR.sink));
  const listenAt = { host: ADDR.listener, port: await getFreePort(ADDR.listener) };
  const config = path.join(tmp.dir, 'vmta.conf');
  writeFileSync(config, benchConfig({ listener: listenAt, sink, maxSmtpOut }));
  const prefix = 'bench';
  const spawnRole = (role: 'listener' | 'delivery', nodeFlags?: string[], name?: string) =>
    spawnVmta({ cli: ctx.cli, config, role, redisUrl: redis.url, prefix, dir: tmp.dir, nodeFlags, name });
  const procs: VmtaProcess[] = [];
  try {
    const listener = await spawnRole('listener');
    let delivery = await spawnRole('delivery');
    procs.push(listener, delivery);
    await redis.resetStats();
    const vmta = await measure(sink, 0, load, ctx, listenAt, [
      { name: 'vmta listener', read: listener.cpu },
      { name: 'vmta delivery', read: () => delivery.cpu() },
      { name: 'redis-server', read: redis.cpu },
      { name: 'smtp-sink', read: sink.cpu },
    ]);
    const stats = await redis.commandStats();
    const slowlog = await redis.slowlog(10);
    ctx.log(`  vmta: accepted ${vmta.acceptedPerSec.toFixed(0)}/s, end to end ${vmta.endToEndPerSec.toFixed(0)}/s`);
    let seen = vmta.sinkCount;
    const rate = vmta.acceptedPerSec / 2;
    ctx.log(`  latency at ${rate.toFixed(0)}/s`);
    vmta.latency = await latencyAt(sink, seen, rate, latencyCount(opts), listenAt, load);
    await sleep(1000);
    seen = sink.count();

    // Memory per queued message: delivery stopped, the same load queued, used_memory before and after.
    ctx.log('  Redis memory per queued message (delivery stopped)');
    await delivery.stop();
    await sleep(500);
    const mem0 = await redis.usedMemory();
    const acceptOnly = await runSource(ctx.tools.smtpSource, load, listenAt.host, listenAt.port);
    await sleep(500);
    const mem1 = await redis.usedMemory();
    const drained = sink.waitFor(seen + load.messages, deadline(load.messages));
    const tDrain = performance.now();
    delivery = await spawnRole('delivery', undefined, 'delivery-2');
    procs.push(delivery);
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
      for (const p of procs) await p.stop();
      procs.length = 0;
      const profDir = path.join(tmp.dir, 'prof');
      const flags = ['--cpu-prof', `--cpu-prof-dir=${profDir}`];
      const pl = await spawnRole('listener', flags, 'listener-prof');
      const pd = await spawnRole('delivery', flags, 'delivery-prof');
      procs.push(pl, pd);
      const arrived = sink.waitFor(seen + load.messages, deadline(load.messages));
      await runSource(ctx.tools.smtpSource, load, listenAt.host, listenAt.port);
      await arrived;
      await pl.stop();
      await pd.stop();
      procs.length = 0;
      profile = {
        messages: load.messages,
        listener: summarizeProfiles(readProfiles(profDir, pl.pid), 20),
        delivery: summarizeProfiles(readProfiles(profDir, pd.pid), 20),
      };
    }
    for (const p of procs) await p.stop();
    procs.length = 0;
    const other = opts.fsync === 'always' ? 'everysec' : 'always';
    ctx.log(`e2e (3b): the same with appendfsync ${other}`);
    const vmtaOtherFsync = await runVmtaWithFsync(ctx, opts, load, maxSmtpOut, other);
    const calls = perMessage(stats, vmta.messages);
    return {
      load: { ...load, smtpSourceArgs: sourceArgs(load, '<host>', 0).slice(0, -1) },
      fsync: opts.fsync,
      maxSmtpOut,
      direct,
      postfix,
      vmta,
      vmtaOtherFsync,
      redis: {
        commandsPerMessage: calls,
        totalCallsPerMessage: calls.reduce((s, c) => s + c.callsPerMessage, 0),
        memoryPerMessage: (mem1 - mem0) / load.messages,
        memoryMessages: load.messages,
        memoryPerTextMessage: (memT1 - memT0) / textCount,
        textBodyBytes: textBody.length,
        textStoredBytes: textStored,
        acceptOnlyPerSec: perSecond(load.messages, acceptOnly.ms),
        drainOnlyPerSec: perSecond(load.messages, drainMs),
        slowlog,
      },
      profile,
    };
  } finally {
    for (const p of procs) await p.stop();
    await sink.stop();
    await redis.stop();
    tmp.remove();
  }
}

