/** One measured run: load into a target until the sink has every message, with CPU meters and outcome checks; the latency probe. */
import { getFreePort } from '@vmta/redis-server';
import type { BenchOptions } from '../args.js';
import { messageWithHeaders, sourceLikePayload } from '../bodies.js';
import { measureLatency } from '../latency-client.js';
import { startSink, type Sink } from '../sink.js';
import { runSource, type SourceLoad, type SourceResult } from '../source.js';
import { percentile, perSecond } from '../stats.js';
import { SETTLE_RULE, settledAt, type SettleRule, type SettleSample } from '../settle.js';
import { ADDR, deadline, sleep, type Context } from './common.js';
import type { Latency, RunFigures, SettleFigures } from './e2e-types.js';

export interface Meter {
  name: string;
  /** CPU seconds so far. */
  read(): number;
  /** The process's nice value, for our own processes (recorded at the end of the run). */
  nice?: () => number | undefined;
  /** One of the MTA's own processes (not a sink, not the load generator): the settle-inclusive reading waits until these are idle. */
  mta?: boolean;
}

/** CPU seconds per 1,000 messages between two readings of every meter. */
function cpuPer1000(meters: Meter[], before: number[], after: number[], messages: number): Record<string, number> {
  const out: Record<string, number> = {};
  meters.forEach((m, i) => (out[m.name] = ((after[i]! - before[i]!) * 1000) / messages));
  return out;
}

/**
 * Reads every meter until the `mta` ones are idle (settle.ts), at most rule.capMs. Returns the
 * readings at that point and how long the MTA kept working; undefined when no meter is an MTA's.
 */
export async function untilIdle(meters: Meter[], rule: SettleRule = SETTLE_RULE): Promise<{ readings: number[]; busyMs: number; capped: boolean } | undefined> {
  const watched = meters.flatMap((m, i) => (m.mta ? [i] : []));
  if (watched.length === 0) return undefined;
  const t0 = performance.now();
  const samples: SettleSample[] = [];
  const readings: number[][] = [];
  for (;;) {
    // Stamped when the reading starts: reading a big process tree takes a few ms.
    const ms = performance.now() - t0;
    const r = meters.map((m) => m.read());
    readings.push(r);
    samples.push({ ms, cpu: watched.map((i) => r[i]!) });
    const s = settledAt(samples, rule);
    if (s) return { readings: readings[s.index]!, busyMs: s.busyMs, capped: s.capped };
    await sleep(rule.everyMs);
  }
}

export type Target = { host: string; port: number };
/** Sends one run's load to the target (smtp-source, or our client for the many-domain variant). */
export type Send = (target: Target) => Promise<SourceResult>;
/** Deferrals and bounces the MTA has recorded so far; read before and after a run. */
export type Outcomes = () => Promise<{ deferred: number; bounced: number }>;

export async function measure(
  ctx: Context,
  sink: Sink,
  offset: number,
  messages: number,
  target: Target,
  send: Send,
  meters: Meter[],
  outcomes?: Outcomes,
  timeoutMs = deadline(messages),
  deliveriesPerMessage = 1,
): Promise<RunFigures> {
  const o0 = outcomes ? await outcomes() : undefined;
  const before = meters.map((m) => m.read());
  const t0 = performance.now();
  // A sink that never gets everything is a failed check in the report, not a crash of the whole bench.
  let cutoff: { ms: number; count: number } | undefined;
  const arrived = sink.waitFor(offset + messages * deliveriesPerMessage, timeoutMs).catch((err: Error) => {
    ctx.log(`  ${err.message}`);
    cutoff = { ms: performance.now() - t0, count: (sink.count() - offset) / deliveriesPerMessage };
    return Number.NaN;
  });
  const src = await send(target);
  // The accept window ends here: everything is accepted, delivery may still be behind.
  const atAccept = meters.map((m) => m.read());
  const sinkCountAtAcceptEnd = (sink.count() - offset) / deliveriesPerMessage;
  if (src.exitCode !== 0) ctx.log(`  load generator exited ${src.exitCode}: ${src.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const tEnd = await arrived;
  const after = meters.map((m) => m.read());
  const nice: Record<string, number> = {};
  for (const m of meters) {
    const v = m.nice?.();
    if (v !== undefined) nice[m.name] = v;
  }
  // The settle-inclusive reading: the same window, closed when the MTA has finished what the run gave it.
  const tAfter = performance.now();
  const idle = cutoff ? undefined : await untilIdle(meters);
  const settle: SettleFigures | undefined = idle && { cpuPer1000: cpuPer1000(meters, before, idle.readings, messages), busyMs: idle.busyMs, capped: idle.capped };
  await sleep(Math.max(0, 1000 - (performance.now() - tAfter)));
  const o1 = outcomes ? await outcomes() : undefined;
  const e2eMs = tEnd - t0;
  return {
    messages,
    acceptMs: src.ms,
    endToEndMs: e2eMs,
    acceptedPerSec: perSecond(messages, src.ms),
    endToEndPerSec: Number.isFinite(e2eMs) ? perSecond(messages, e2eMs) : Number.NaN,
    sinkCount: cutoff ? cutoff.count : (sink.count() - offset) / deliveriesPerMessage,
    ...(deliveriesPerMessage !== 1 ? { deliveriesPerMessage } : {}),
    ...(src.dotTo250 || src.connectTo220 ? { client: { dotTo250: quantiles(src.dotTo250 ?? []), connectTo220: quantiles(src.connectTo220 ?? []) } } : {}),
    ...(cutoff ? { cutoffMs: cutoff.ms } : {}),
    ...(o0 && o1 ? { deferred: o1.deferred - o0.deferred, bounced: o1.bounced - o0.bounced } : {}),
    sourceExitCode: src.exitCode,
    cpuPer1000: cpuPer1000(meters, before, after, messages),
    ...(settle ? { settle } : {}),
    acceptCpuPer1000: cpuPer1000(meters, before, atAccept, messages),
    sinkCountAtAcceptEnd,
    ...(Object.keys(nice).length ? { nice } : {}),
  };
}

/**
 * Sends `messages` messages of the load into the target and waits until the sink has them (plus a second
 * for the MTA's clean-up), so the measured run that follows meets warm processes (`deliveriesPerMessage`:
 * sink arrivals per message sent, as in measure). Returns the sink's
 * count afterwards: the offset of the measured run.
 */
export async function warmUp(ctx: Context, sink: Sink, messages: number, target: Target, send: Send, timeoutMs = deadline(messages), deliveriesPerMessage = 1): Promise<number> {
  if (messages <= 0) return sink.count();
  const w = await measure(ctx, sink, sink.count(), messages, target, send, [], undefined, timeoutMs, deliveriesPerMessage);
  ctx.log(`  warm-up: ${messages} messages, accepted ${w.acceptedPerSec.toFixed(0)}/s, sink ${w.sinkCount}/${messages}`);
  return sink.count();
}

function quantiles(samples: number[]): { p50: number; p99: number; count: number } {
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), count: samples.length };
}

export async function latencyAt(sink: Sink, offset: number, rate: number, messages: number, target: Target, load: SourceLoad): Promise<Latency> {
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

export function latencyCount(opts: BenchOptions): number {
  return Math.min(opts.messages, opts.quick ? 500 : 5000);
}

export const smtpSource =
  (ctx: Context, load: SourceLoad): Send =>
  (t) =>
    runSource(ctx.tools.smtpSource, load, t.host, t.port);

export async function runDirect(ctx: Context, messages: number, send: Send): Promise<RunFigures> {
  const sink = await startSink(ctx.tools.smtpSink, ADDR.sink, await getFreePort(ADDR.sink));
  try {
    return await measure(ctx, sink, 0, messages, sink, send, [{ name: 'smtp-sink', read: sink.cpu }]);
  } finally {
    await sink.stop();
  }
}
