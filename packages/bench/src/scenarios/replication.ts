/**
 * Scenario "replication": the cost of WAIT before 250. A primary (AOF, the run's fsync) and a
 * replica on loopback; one listener (no delivery: messages stay queued) takes the same load
 * twice per run, once with REDIS_URL plain, once with `?wait-replicas=1` (each 250 waits for
 * the replica's acknowledgement), alternating, on a fresh key prefix each time. Reported: msg/s
 * and dot-to-250 latency of each, medians over the runs.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { getFreePort, startRedisServer } from '@vmta/redis-server';
import type { BenchOptions } from '../args.js';
import { startBenchRedis } from '../bench-redis.js';
import { messageWithHeaders, sourceLikePayload } from '../bodies.js';
import { median } from '../runs.js';
import { runSenders } from '../sender-client.js';
import { percentile, perSecond } from '../stats.js';
import { benchConfig, spawnVmta } from '../vmta.js';
import { ADDR, FROM, sleep, tempDir, TO, type Context } from './common.js';

export interface ReplicationVariant {
  wait: boolean;
  msgPerSec: number;
  dotTo250P50Ms: number;
  dotTo250P99Ms: number;
  failures: number;
}

export interface ReplicationResult {
  messages: number;
  sessions: number;
  size: number;
  fsync: string;
  runs: ReplicationVariant[];
  /** Medians over the runs. */
  withoutWait: number;
  withWait: number;
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
  const messages = opts.quick ? 1000 : opts.messages;
  const body = Buffer.from(messageWithHeaders(sourceLikePayload(opts.size), FROM, TO, 'replication'));
  const runs: ReplicationVariant[] = [];
  try {
    for (let i = 0; i < 50 && (await replicaClient.info('replication')).includes('master_link_status:up') === false; i++) await sleep(200);
    const port = await getFreePort(ADDR.listener);
    const config = path.join(tmp.dir, 'vmta.conf');
    writeFileSync(config, benchConfig({ listener: { host: ADDR.listener, port }, sink: { host: ADDR.sink, port: 9 }, maxSmtpOut: 1 }));
    const repeats = opts.quick ? 1 : Math.max(1, opts.runs);
    for (let r = 0; r < repeats * 2; r++) {
      const wait = r % 2 === 1;
      const listener = await spawnVmta({
        cli: ctx.cli,
        config,
        role: 'listener',
        redisUrl: `${primary.url}${wait ? '?wait-replicas=1&wait-timeout=1000' : ''}`,
        prefix: `repl${r}`,
        dir: tmp.dir,
        name: `listener-${r}`,
      });
      try {
        const result = await runSenders({
          host: ADDR.listener,
          port,
          sessions: opts.sessions,
          messages,
          connectionPerMessage: false,
          from: FROM,
          recipients: () => [TO],
          body: () => body,
        });
        const variant: ReplicationVariant = {
          wait,
          msgPerSec: Math.round(perSecond(result.sent, result.ms)),
          dotTo250P50Ms: percentile(result.dotTo250, 50),
          dotTo250P99Ms: percentile(result.dotTo250, 99),
          failures: result.failures,
        };
        runs.push(variant);
        ctx.log(`replication: ${wait ? 'WAIT 1 replica' : 'no WAIT'}: ${variant.msgPerSec} msg/s, dot-to-250 p50 ${variant.dotTo250P50Ms.toFixed(1)} ms, p99 ${variant.dotTo250P99Ms.toFixed(1)} ms, ${variant.failures} failures`);
      } finally {
        await listener.stop();
      }
    }
  } finally {
    replicaClient.disconnect();
    await replica.stop();
    await primary.stop();
    tmp.remove();
  }
  const rate = (wait: boolean) => median(runs.filter((v) => v.wait === wait).map((v) => v.msgPerSec));
  return { messages, sessions: opts.sessions, size: opts.size, fsync: opts.fsync, runs, withoutWait: rate(false), withWait: rate(true) };
}
