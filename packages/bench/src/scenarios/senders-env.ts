/**
 * One MTA (Postfix, Haraka or ours) set up for one run of a senders load: fresh
 * sinks, a fresh MTA relaying to them (every recipient domain of `routes` to its
 * own sink), optionally as a submission server (STARTTLS + AUTH required), and
 * the CPU meters of every process of the run.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { getFreePort } from '@vmta/redis-server';
import { Keys } from '@vmta/queue';
import type { Fsync } from '../args.js';
import { startBenchRedis, type BenchRedis } from '../bench-redis.js';
import { startHaraka, type HostPort } from '../haraka.js';
import { startPostfix } from '../postfix.js';
import { readProcStat, treeCpu } from '../proc-stat.js';
import type { Sink } from '../sink.js';
import { startSinks } from '../sinks.js';
import type { BenchCert } from '../tls-cert.js';
import { cpuProfileNodeFlags } from '../cpuprof-window.js';
import { perfNodeFlags } from '../perf-window.js';
import { benchConfig, spawnVmta, type VmtaProcess } from '../vmta.js';
import { ADDR, sleep, tempDir, type Context } from './common.js';
import type { Meter, Outcomes, Target } from './e2e-measure.js';

import { MTAS, type Mta } from '../args.js';

export { MTAS, type Mta } from '../args.js';

/** Run i's order: the three rotate, so each goes first, second and third in turn. */
export function mtaOrder(i: number): Mta[] {
  return MTAS.map((_, k) => MTAS[(k + i) % MTAS.length]!);
}

export const SUBMISSION_USERS: Record<string, string> = { bench: 'bench-secret' };

export interface EnvSetup {
  /** How many sinks; recipient domain `routeDomains[i]` goes to sink i (the rest to sink 0). */
  sinks: number;
  routeDomains?: string[];
  sinkArgs?: string[];
  /**
   * A recipient domain routed to one more sink, started without `sinkArgs`: the warm-up of a load whose
   * sinks are slow goes there, so it warms the MTA without taking minutes (the slow-sink load).
   */
  warmRoute?: string;
  /** STARTTLS + AUTH required, with this certificate. */
  submission?: BenchCert;
  maxSmtpOut: number;
  fsync: Fsync;
  /** Node flags of our processes (e.g. --cpu-prof). */
  nodeFlags?: string[];
  profileDir?: string;
}

export interface MtaEnv {
  mta: Mta;
  target: Target;
  sink: Sink;
  meters: Meter[];
  /** The MTA's own processes: the roots of its metered process trees (Postfix's master, Haraka's `haraka`, our listener, delivery and redis-server). */
  pids: number[];
  outcomes: Outcomes;
  /** Our processes (for profiles) and our Redis (for its command counts). */
  vmta?: { listener: VmtaProcess; delivery: VmtaProcess; redis: BenchRedis };
}

/** The load generator: this process (our client, reading the sinks' counters) and the smtp-source children it reaped. */
export function loadMeter(): Meter {
  return {
    name: 'load generator (bench process + smtp-source)',
    read: () => {
      const s = readProcStat(process.pid);
      return s ? s.cpu + s.childrenCpu : 0;
    },
  };
}

export async function withMta<T>(ctx: Context, haraka: string, mta: Mta, setup: EnvSetup, fn: (env: MtaEnv) => Promise<T>): Promise<T> {
  const tmp = tempDir(`senders-${mta}`);
  const sinks = await startSinks(ctx.tools.smtpSink, ADDR.sink, setup.sinks, setup.sinkArgs, setup.warmRoute ? 1 : 0);
  const routes: Record<string, HostPort> = {};
  (setup.routeDomains ?? []).forEach((d, i) => (routes[d] = sinks.each[i % setup.sinks]!));
  if (setup.warmRoute) routes[setup.warmRoute] = sinks.each[setup.sinks]!;
  const hasRoutes = Object.keys(routes).length > 0;
  const sinkMeter: Meter = { name: 'smtp-sink', read: sinks.all.cpu };
  const stops: Array<() => Promise<void>> = [() => sinks.all.stop()];
  try {
    let env: MtaEnv;
    if (mta === 'postfix') {
      const target = { host: ADDR.postfix, port: await getFreePort(ADDR.postfix) };
      const pf = await startPostfix({
        postfix: ctx.tools.postfix,
        dir: tmp.dir,
        smtpd: target,
        relay: sinks.each[0]!,
        concurrency: setup.maxSmtpOut,
        ...(hasRoutes ? { routes } : {}),
        ...(setup.submission ? { submission: { keyFile: setup.submission.keyFile, certFile: setup.submission.certFile, ...(setup.submission.ecdsa ? { ecdsa: setup.submission.ecdsa } : {}), users: SUBMISSION_USERS } } : {}),
      });
      stops.unshift(() => pf.stop());
      await sleep(500);
      const master = pf.masterPid();
      env = {
        mta,
        target,
        sink: sinks.all,
        meters: [{ name: 'postfix (all processes)', read: () => treeCpu(master).total, mta: true }, sinkMeter, loadMeter()],
        pids: [master],
        outcomes: async () => pf.statusCounts(),
      };
    } else if (mta === 'haraka') {
      const target = { host: ADDR.haraka, port: await getFreePort(ADDR.haraka) };
      const h = await startHaraka(haraka, {
        dir: path.join(tmp.dir, 'haraka'),
        listen: target,
        routes: { default: sinks.each[0]!, domains: routes },
        // Haraka has no per-destination limit: as many connections to each sink as the others may open.
        concurrency: setup.maxSmtpOut * setup.sinks,
        ...(setup.submission ? { submission: { keyPem: setup.submission.keyPem, certPem: setup.submission.certPem, ...(setup.submission.ecdsa ? { ecdsa: setup.submission.ecdsa } : {}), users: SUBMISSION_USERS } } : {}),
      });
      stops.unshift(() => h.stop());
      env = { mta, target, sink: sinks.all, meters: [{ name: 'haraka', read: h.cpu, mta: true }, sinkMeter, loadMeter()], pids: [h.pid], outcomes: async () => h.outcomes() };
    } else {
      const redis = await startBenchRedis(path.join(tmp.dir, 'redis'), setup.fsync);
      stops.unshift(() => redis.stop());
      const target = { host: ADDR.listener, port: await getFreePort(ADDR.listener) };
      const config = path.join(tmp.dir, 'vmta.conf');
      const submission = setup.submission ? { certificateFile: setup.submission.bothFile, users: SUBMISSION_USERS } : undefined;
      writeFileSync(config, benchConfig({ listener: target, sink: sinks.each[0]!, maxSmtpOut: setup.maxSmtpOut, ...(submission ? { submission } : {}), ...(hasRoutes ? { routes } : {}) }));
      // BENCH_VMTA_NODE_FLAGS: extra node flags for our processes (trials, e.g. V8 heap settings).
      const flags = [...(setup.nodeFlags ?? []), ...(process.env.BENCH_VMTA_NODE_FLAGS?.split(' ').filter(Boolean) ?? []), ...perfNodeFlags(), ...cpuProfileNodeFlags()];
      const spawnRole = (role: 'listener' | 'delivery') => spawnVmta({ cli: ctx.cli, config, role, redisUrl: redis.url, prefix: 'bench', dir: tmp.dir, nodeFlags: flags });
      const listener = await spawnRole('listener');
      stops.unshift(() => listener.stop());
      const delivery = await spawnRole('delivery');
      stops.unshift(() => delivery.stop());
      const totals = new Keys('bench').totals();
      env = {
        mta,
        target,
        sink: sinks.all,
        meters: [
          { name: 'vmta listener', read: listener.cpu, mta: true },
          { name: 'vmta delivery', read: delivery.cpu, mta: true },
          { name: 'redis-server', read: redis.cpu, mta: true },
          sinkMeter,
          loadMeter(),
        ],
        pids: [listener.pid, delivery.pid, redis.server.pid],
        outcomes: async () => {
          const h = await redis.client.hgetall(totals);
          return { deferred: Number(h.deferred ?? 0), bounced: Number(h.bounced ?? 0) };
        },
        vmta: { listener, delivery, redis },
      };
    }
    return await fn(env);
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
    tmp.remove();
  }
}
