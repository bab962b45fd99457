/**
 * Scenario "senders": the senders real users have (reused connections, one
 * connection per message, submission with STARTTLS + AUTH, one message to many
 * domains, a size mix, many domains, a slow receiver), each into Postfix,
 * Haraka and us in the same run: a fresh MTA and sinks per run, the MTAs in a
 * rotating order (each goes first in turn), medians of --runs. Per load also:
 * our client's final dot → 250 under load; for the one-connection loads a
 * paced probe at half of each MTA's accepted rate (dot → 250 and connect →
 * 220); connect → 220 one connection at a time; CPU per 1,000 messages of
 * every process; with --profile one more run of ours under --cpu-prof.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { warmupFor, type BenchOptions } from '../args.js';
import { summarizeProfiles, type CpuProfile, type ProfileSummary } from '../cpuprofile.js';
import { ensureHaraka, HARAKA_VERSION } from '../haraka.js';
import { probeGreeting } from '../sender-client.js';
import { perMessage, type PerMessageStat } from '../redis-info.js';
import { percentile } from '../stats.js';
import { makeCert } from '../tls-cert.js';
import { startCpuProfileWindow } from '../cpuprof-window.js';
import { startPerfWindow } from '../perf-window.js';
import { tempDir, type Context } from './common.js';
import { measure, runDirect, untilIdle, warmUp } from './e2e-measure.js';
import type { Quantiles, RunFigures } from './e2e-types.js';
import { senderLoads, type LoadDef, type SenderLoadName } from './senders-loads.js';
import { mtaOrder, withMta, type Mta } from './senders-env.js';

export interface ProbeFigures {
  offeredPerSec: number;
  dotTo250: Quantiles;
  connectTo220: Quantiles;
  failures: number;
}

export interface SenderLoadResult {
  name: SenderLoadName;
  title: string;
  describe: string;
  messages: number;
  sessions: number;
  deliveriesPerMessage: number;
  /** Messages sent into each MTA (and not measured) before each measured run; 0: cold runs. Absent in results from before the warm-up existed: those were cold. */
  warmup?: number;
  /** Every measured run per MTA, in order; `order` says which ran when. */
  runs: Partial<Record<Mta, RunFigures[]>>;
  order: string[];
  /** Our client straight into the sink (first run only). */
  direct?: RunFigures;
  /** connect → 220, one connection at a time, per MTA and run. */
  greeting?: Partial<Record<Mta, Quantiles[]>>;
  /** Paced probe at half of that run's accepted rate, per MTA and run. */
  probe?: Partial<Record<Mta, ProbeFigures[]>>;
  profile?: { listener: ProfileSummary; delivery: ProfileSummary; messages: number };
  /** Our Redis over each measured vmta run (INFO commandstats): calls per message, and the commands of the first run. */
  redis?: { callsPerMessage: number[]; first: PerMessageStat[] };
  ranAt: string;
  /** The command of the run this load came from, when it differs from the file's (a load re-run alone). */
  command?: string;
  loadAvgAtStart: number[];
}

export interface SendersResult {
  fsync: string;
  maxSmtpOut: number;
  harakaVersion: string;
  /** `vmta` built from another checkout (--vmta-cli), when not this one. */
  vmtaCli?: string;
  loads: Partial<Record<SenderLoadName, SenderLoadResult>>;
}

const q = (samples: number[]): Quantiles => ({ p50: percentile(samples, 50), p99: percentile(samples, 99), count: samples.length });

function readProfiles(dir: string, pid: number): CpuProfile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.`))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as CpuProfile);
}

const PROBE_MESSAGES = 400;
const GREETINGS = 300;

async function runLoad(ctx: Context, opts: BenchOptions, haraka: string, load: LoadDef, mtas: Mta[]): Promise<SenderLoadResult> {
  const os = await import('node:os');
  const result: SenderLoadResult = {
    name: load.name,
    title: load.title,
    describe: load.describe,
    messages: load.messages,
    sessions: load.sessions,
    deliveriesPerMessage: load.deliveriesPerMessage,
    warmup: warmupFor(opts, load.warmMessages ?? load.messages),
    runs: {},
    order: [],
    ranAt: new Date().toISOString(),
    loadAvgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
  const base = { maxSmtpOut: 20, fsync: opts.fsync, ...load.setup };
  const runs = load.runs || opts.runs;
  if (load.direct) {
    ctx.log(`senders ${load.name}: client → smtp-sink, ${load.messages} messages`);
    result.direct = await runDirect(ctx, load.messages, load.send);
    ctx.log(`  direct: ${result.direct.acceptedPerSec.toFixed(0)}/s`);
  }
  for (let i = 0; i < runs; i++) {
    for (const mta of mtaOrder(i).filter((m) => mtas.includes(m))) {
      ctx.log(`senders ${load.name} run ${i + 1}/${runs}: ${mta}`);
      await withMta(ctx, haraka, mta, base, async (env) => {
        if (load.greeting) {
          const g = q(await probeGreeting(env.target.host, env.target.port, opts.quick ? 50 : GREETINGS));
          ((result.greeting ??= {})[mta] ??= []).push(g);
          ctx.log(`  connect → 220: p50 ${g.p50.toFixed(2)} ms, p99 ${g.p99.toFixed(2)} ms`);
        }
        if (result.warmup) {
          const w = result.warmup;
          await warmUp(ctx, env.sink, w, env.target, (t) => load.warm(t, w), load.timeoutMs, load.deliveriesPerMessage);
          // Let the MTA finish what follows the last delivery (completions, clean-up) before the measured window
          // opens: until its processes are idle (settle.ts; measure() already waited 1 s after the last delivery).
          const idle = await untilIdle(env.meters);
          if (idle) ctx.log(`  warm-up: the MTA was busy ${(idle.busyMs / 1000).toFixed(1)} s more${idle.capped ? ' (still busy at the cap)' : ''}, then idle; the window opens`);
        }
        await env.vmta?.redis.resetStats();
        const offset = env.sink.count();
        const rolePids = env.vmta ? { listener: env.vmta.listener.pid, delivery: env.vmta.delivery.pid } : undefined;
        const perf = rolePids ? startPerfWindow(`${load.name}-${i + 1}`, rolePids) : undefined;
        const prof = rolePids ? startCpuProfileWindow(`${load.name}-${i + 1}`, rolePids) : undefined;
        const f = await measure(ctx, env.sink, offset, load.messages, env.target, load.send, env.meters, env.outcomes, load.timeoutMs, load.deliveriesPerMessage).finally(() => Promise.all([perf?.stop(), prof?.stop()]));
        (result.runs[mta] ??= []).push(f);
        if (env.vmta) {
          const calls = perMessage(await env.vmta.redis.commandStats(), load.messages);
          result.redis ??= { callsPerMessage: [], first: calls.slice(0, 8) };
          result.redis.callsPerMessage.push(calls.reduce((s, c) => s + c.callsPerMessage, 0));
        }
        ctx.log(`  ${mta}: accepted ${f.acceptedPerSec.toFixed(0)}/s, end to end ${f.endToEndPerSec.toFixed(0)}/s, sink ${f.sinkCount}/${load.messages}, deferred ${f.deferred}, bounced ${f.bounced}`);
        if (load.probe && Number.isFinite(f.acceptedPerSec)) {
          const rate = f.acceptedPerSec / 2;
          const r = await load.probe(env.target, rate, Math.min(load.messages, opts.quick ? 100 : PROBE_MESSAGES));
          const p: ProbeFigures = { offeredPerSec: rate, dotTo250: q(r.dotTo250), connectTo220: q(r.connectTo220), failures: r.failures };
          ((result.probe ??= {})[mta] ??= []).push(p);
          ctx.log(`  at ${rate.toFixed(0)}/s: dot → 250 p50 ${p.dotTo250.p50.toFixed(1)} / p99 ${p.dotTo250.p99.toFixed(1)} ms, connect → 220 p50 ${p.connectTo220.p50.toFixed(2)} / p99 ${p.connectTo220.p99.toFixed(2)} ms${r.failures ? `, ${r.failures} failed: ${r.firstError}` : ''}`);
        }
      });
      result.order.push(`${i + 1}:${mta}`);
    }
  }
  if (opts.profile && mtas.includes('vmta')) {
    ctx.log(`senders ${load.name}: --cpu-prof run of our listener and delivery`);
    const prof = tempDir('senders-prof');
    try {
      const dir = path.join(prof.dir, 'prof');
      mkdirSync(dir);
      const pids = await withMta(ctx, haraka, 'vmta', { ...base, nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`] }, async (env) => {
        await measure(ctx, env.sink, env.sink.count(), load.messages, env.target, load.send, [], undefined, load.timeoutMs, load.deliveriesPerMessage);
        return { listener: env.vmta!.listener.pid, delivery: env.vmta!.delivery.pid };
      });
      result.profile = { messages: load.messages, listener: summarizeProfiles(readProfiles(dir, pids.listener), 20), delivery: summarizeProfiles(readProfiles(dir, pids.delivery), 20) };
    } finally {
      prof.remove();
    }
  }
  return result;
}

export async function runSendersScenario(ctx: Context, opts: BenchOptions, previous: SendersResult | undefined, save: (r: SendersResult) => void): Promise<SendersResult> {
  const haraka = ensureHaraka(ctx.log);
  const certDir = tempDir('senders-cert');
  try {
    const cert = makeCert(certDir.dir);
    const loads = senderLoads(ctx, opts, cert).filter((l) => opts.senders.includes(l.name));
    const out: SendersResult = {
      fsync: opts.fsync,
      maxSmtpOut: 20,
      harakaVersion: HARAKA_VERSION,
      ...(opts.vmtaCli ? { vmtaCli: opts.vmtaCli } : {}),
      loads: { ...(previous?.loads ?? {}) },
    };
    for (const load of loads) {
      out.loads[load.name] = await runLoad(ctx, opts, haraka, load, opts.mtas);
      // Each load's figures are kept as soon as it is done.
      save(out);
    }
    return out;
  } finally {
    certDir.remove();
  }
}
