/**
 * A Redis Sentinel set of the test's own: one primary, replicas, Sentinels (quorum: a majority),
 * all redis-server processes on one address (127.0.0.1 unless told), on free ports, killed with
 * the test process. Tests kill the primary and watch the Sentinels promote a replica.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { findRedisServer, getFreePort, startRedisServer, type RedisServerHandle } from '@vmta/redis-server';

export interface SentinelSetOptions {
  /** Replicas of the primary; default 1. */
  replicas?: number;
  /** Sentinels; default 3 (quorum 2). */
  sentinels?: number;
  /** Master name; default 'vmta'. */
  name?: string;
  bind?: string;
  /** Sentinel's down-after-milliseconds; default 1000 (a test wants a quick failover). */
  downAfterMs?: number;
}

export interface SentinelSet {
  /** redis-sentinel://host:port,.../name */
  readonly url: string;
  readonly name: string;
  /** Every data server, the first one started as primary. */
  readonly servers: RedisServerHandle[];
  readonly sentinels: RedisServerHandle[];
  /** The address (host:port) the Sentinels report as master now. */
  master(): Promise<string>;
  /** The server the Sentinels report as master now. */
  primary(): Promise<RedisServerHandle>;
  /** Resolves once every Sentinel knows the others and every replica, and every running replica is linked; call before a failover. */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGKILLs the primary; resolves with the address the Sentinels promoted (a replica's). */
  killPrimaryAndWaitForFailover(timeoutMs?: number): Promise<string>;
  /** Starts again every data server that is not running (same port and dir): the Sentinels make it a replica. */
  restartStopped(): Promise<void>;
  dispose(): Promise<void>;
}

export function canStartSentinels(): boolean {
  return findRedisServer() !== null;
}

// A full sync at once (Redis waits 5 s by default for more replicas to share a diskless sync).
const DATA_ARGS = ['--loglevel', 'warning', '--repl-diskless-sync-delay', '0'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`Sentinel set: ${what} not reached in ${timeoutMs} ms`);
    await sleep(100);
  }
}

export async function startSentinelSet(opts: SentinelSetOptions = {}): Promise<SentinelSet> {
  const bind = opts.bind ?? '127.0.0.1';
  const name = opts.name ?? 'vmta';
  const count = opts.sentinels ?? 3;
  const quorum = Math.floor(count / 2) + 1;
  const root = mkdtempSync(join(tmpdir(), 'vmta-sentinel-'));
  const servers: RedisServerHandle[] = [];
  const sentinels: RedisServerHandle[] = [];
  const dispose = async () => {
    await Promise.all([...sentinels, ...servers].map((s) => s.kill().catch(() => undefined)));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const quiet = DATA_ARGS;
    const primary = await startRedisServer({ dir: join(root, 'r0'), bind, extraArgs: quiet });
    servers.push(primary);
    for (let i = 1; i <= (opts.replicas ?? 1); i++) {
      servers.push(await startRedisServer({ dir: join(root, `r${i}`), bind, extraArgs: [...quiet, '--replicaof', primary.host, String(primary.port)] }));
    }
    for (let i = 0; i < count; i++) {
      const dir = join(root, `s${i}`);
      mkdirSync(dir, { recursive: true });
      const conf = join(dir, 'sentinel.conf');
      writeFileSync(
        conf,
        [
          `sentinel monitor ${name} ${primary.host} ${primary.port} ${quorum}`,
          `sentinel down-after-milliseconds ${name} ${opts.downAfterMs ?? 1000}`,
          `sentinel failover-timeout ${name} 10000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      const port = await getFreePort(bind);
      sentinels.push(await startRedisServer({ dir, bind, port, configFile: conf, extraArgs: ['--sentinel', ...quiet] }));
    }
  } catch (err) {
    await dispose();
    throw err;
  }

  const ask = async <T>(s: RedisServerHandle, fn: (c: Redis) => Promise<T>): Promise<T> => {
    const c = new Redis({ host: s.host, port: s.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => undefined);
    try {
      await c.connect();
      return await fn(c);
    } finally {
      c.disconnect();
    }
  };
  const masterOf = async (s: RedisServerHandle) => {
    const [host, port] = (await ask(s, (c) => c.call('SENTINEL', 'get-master-addr-by-name', name))) as [string, string];
    return `${host}:${port}`;
  };
  const live = () => sentinels.filter((s) => s.isRunning());
  const set: SentinelSet = {
    url: `redis-sentinel://${sentinels.map((s) => `${s.host}:${s.port}`).join(',')}/${name}`,
    name,
    servers,
    sentinels,
    master: () => masterOf(live()[0] as RedisServerHandle),
    async primary() {
      const addr = await set.master();
      const found = servers.find((s) => `${s.host}:${s.port}` === addr);
      if (!found) throw new Error(`Sentinel set: master ${addr} is none of ours`);
      return found;
    },
    async ready(timeoutMs = 20_000) {
      const replicas = servers.length - 1;
      await until('Sentinels knowing each other and the replicas', timeoutMs, async () => {
        for (const s of live()) {
          const [peers, reps] = await ask(s, async (c) => [
            (await c.call('SENTINEL', 'sentinels', name)) as unknown[],
            (await c.call('SENTINEL', 'replicas', name)) as unknown[],
          ]);
          if (peers.length < live().length - 1 || reps.length < replicas) return undefined;
        }
        const primary = await set.primary();
        const linked = ((await ask(primary, (c) => c.call('ROLE'))) as [string, number, unknown[]])[2];
        return linked.length >= servers.filter((s) => s.isRunning()).length - 1 ? true : undefined;
      });
    },
    async killPrimaryAndWaitForFailover(timeoutMs = 30_000) {
      const old = await set.master();
      const server = await set.primary();
      await server.kill();
      return until(`failover away from ${old}`, timeoutMs, async () => {
        const now = await set.master();
        if (now === old) return undefined;
        // Promoted is not enough: the new primary must answer as one.
        const s = servers.find((x) => `${x.host}:${x.port}` === now);
        const role = s ? ((await ask(s, (c) => c.call('ROLE'))) as [string])[0] : undefined;
        return role === 'master' ? now : undefined;
      });
    },
    async restartStopped() {
      for (const [i, s] of servers.entries()) {
        if (s.isRunning()) continue;
        servers[i] = await startRedisServer({ dir: s.dir, bind, port: s.port, extraArgs: DATA_ARGS });
      }
    },
    dispose,
  };
  return set;
}
