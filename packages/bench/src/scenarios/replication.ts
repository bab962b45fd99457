/**
 * Scenario "replication": the cost of WAIT with a replica. A primary (AOF, the run's fsync) and a
 * replica on loopback, one listener and one delivery process to smtp-sink. Each load runs three
 * ways, alternating, on a fresh key prefix each time: REDIS_URL plain for both processes; with
 * `?wait-replicas=1` for the listener only (each 250 waits for the replica); and for both, as an
 * operator deploys it (one REDIS_URL): then delivery also WAITs once per VMTA lease, that is per
 * new connection, before the connection opens. Two loads: one domain over reused sessions (few
 * leases), and one message per domain (a lease, so a WAIT, per message). Reported per run:
 * accepted msg/s and dot-to-250 latency at the client, msg/s end to end (to the last arrival at
 * the sink), and WAIT commands per message at the primary (INFO commandstats).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { getFreePort, startRedisServer } from '@vmta/redis-server';
import type { BenchOptions } from '../args.js';
import { startBenchRedis, type BenchRedis } from '../bench-redis.js';
import { messageWithHeaders, sourceLikePayload } from '../bodies.js';
import { manyDomainRecipient } from '../many-domains.js';
import { runSenders } from '../sender-client.js';
import { startSink, type Sink } from '../sink.js';
import { percentile, perSecond } from '../stats.js';
import { benchConfig, spawnVmta, type VmtaProcess } from '../vmta.js';
import { ADDR, deadline, FROM, sleep, tempDir, TO, type Context } from './common.js';

/** Where REDIS_URL asks for `wait-replicas=1`: nowhere, the listener only, or listener and delivery (one URL for both, as deployed). */
export type WaitAt = 'none' | 'listener' | 'both';
export const WAIT_AT: readonly WaitAt[] = ['none', 'listener', 'both'];

/** `reused`: one domain over reused sessions; `many-domains`: one message per domain, so one VMTA lease (a new delivery connection's) per message. */
export type ReplicationLoad = 'reused' | 'many-domains';

export interface ReplicationVariant {
  load: ReplicationLoad;
  waitAt: WaitAt;
  /** Accepted by the listener, at the client. */
  msgPerSec: number;
  /** First message sent to the last one at the sink. */
  endToEndPerSec: number;
  dotTo250P50Ms: number;
  dotTo250P99Ms: number;
  /** WAIT commands at the primary per message: the listener's (one per message) and delivery's (one per lease). */
  waitsPerMsg: number;
  failures: number;
  /** Messages at the sink when the run ended (less than sent: cut by its time limit). */
  arrived: number;
}

export interface ReplicationResult {
  messages: number;
  sessions: number;
  size: number;
  fsync: string;
  runs: ReplicationVariant[];
}

interface Env {
  tmp: { dir: string };
  primary: BenchRedis;
  sink: Sink;
  config: string;
  port: number;
}

const WAIT_QUERY = '?wait-replicas=1&wait-timeout=1000';

async function runOne(ctx: Context, env: Env, load: ReplicationLoad, waitAt: WaitAt, messages: number, opts: BenchOptions, r: number): Promise<ReplicationVariant> {
  const url = (wait: boolean) => `${env.primary.url}${wait ? WAIT_QUERY : ''}`;
  const common = { cli: ctx.cli, config: env.config, prefix: `repl${r}`, dir: env.tmp.dir };
  const procs: VmtaProcess[] = [];
  try {
    procs.push(await spawnVmta({ ...common, role: 'listener', redisUrl: url(waitAt !== 'none'), name: `listener-${r}` }));
    procs.push(await spawnVmta({ ...common, role: 'delivery', redisUrl: url(waitAt === 'both'), name: `delivery-${r}` }));
    await env.primary.resetStats();
    const seen = env.sink.count();
    const to = (k: number) => (load === 'reused' ? TO : manyDomainRecipient(k, messages));
    const body = Buffer.from(messageWithHeaders(sourceLikePayload(opts.size), FROM, to(0), 'replication'));
    const t0 = performance.now();
    const arrived = env.sink.waitFor(seen + messages, deadline(messages));
    const result = await runSenders({ host: ADDR.listener, port: env.port, sessions: opts.sessions, messages, connectionPerMessage: false, from: FROM, recipients: (k) => [to(k)], body: () => body });
    // A run cut by its time limit is reported with what arrived by then.
    const tEnd = await arrived.catch(() => performance.now());
    const waits = (await env.primary.commandStats()).wait?.calls ?? 0;
    const variant: ReplicationVariant = {
      load,
      waitAt,
      msgPerSec: Math.round(perSecond(result.sent, result.ms)),
      endToEndPerSec: Math.round(perSecond(env.sink.count() - seen, tEnd - t0)),
      dotTo250P50Ms: percentile(result.dotTo250, 50),
      dotTo250P99Ms: percentile(result.dotTo250, 99),
      waitsPerMsg: Math.round((waits / Math.max(1, result.sent)) * 100) / 100,
      failures: result.failures,
      arrived: env.sink.count() - seen,
    };
    ctx.log(
      `replication ${load}, WAIT ${waitAt}: ${variant.msgPerSec} msg/s accepted, ${variant.endToEndPerSec} end to end, dot-to-250 p50 ${variant.dotTo250P50Ms.toFixed(1)} ms, ${variant.waitsPerMsg} WAIT/msg, ${variant.failures} failures`,
    );
    return variant;
  } finally {
    for (const p of procs) await p.stop();
  }
}

export async function runReplication(ctx: Context, opts: BenchOptions): Promise<ReplicationResult> {
  const tmp = tempDir('replication');
  const primary = await startBenchRedis(path.join(tmp.dir, 'primary'), opts.fsync);
  const replica = await startRedisServer({
    dir: path.join(tmp.dir, 'replica'),
    appendOnly: true,
    appendFsync: opts.fsync,
    extraArgs: ['--loglevel', 'warning', '--replicaof', primary.server.host, String(primary.server.port)],
  });
  const replicaClient = new Redis(replica.url);
  const sink = await startSink(ctx.tools.smtpSink, ADDR.sink, await getFreePort(ADDR.sink));
  const messages = opts.quick ? 1000 : opts.messages;
  const runs: ReplicationVariant[] = [];
  try {
    for (let i = 0; i < 50 && (await replicaClient.info('replication')).includes('master_link_status:up') === false; i++) await sleep(200);
    const port = await getFreePort(ADDR.listener);
    const config = path.join(tmp.dir, 'vmta.conf');
    writeFileSync(config, benchConfig({ listener: { host: ADDR.listener, port }, sink, maxSmtpOut: 20 }));
    const env: Env = { tmp, primary, sink, config, port };
    const repeats = opts.quick ? 1 : Math.max(1, opts.runs);
    let r = 0;
    for (let rep = 0; rep < repeats; rep++) {
      // Alternating: each repeat runs the three ways in the other order.
      const order = rep % 2 === 0 ? WAIT_AT : [...WAIT_AT].reverse();
      for (const load of ['reused', 'many-domains'] as const) for (const waitAt of order) runs.push(await runOne(ctx, env, load, waitAt, messages, opts, r++));
    }
  } finally {
    replicaClient.disconnect();
    await sink.stop();
    await replica.stop();
    await primary.stop();
    tmp.remove();
  }
  return { messages, sessions: opts.sessions, size: opts.size, fsync: opts.fsync, runs };
}
