/** A private redis-server per scenario (AOF on), never the shared 127.0.0.1:6379, and what we read from it. */
import { startRedisServer, type RedisServerHandle } from '@vmta/redis-server';
import { createConnection } from 'node:net';
import { Redis } from 'ioredis';
import type { Fsync } from './args.js';
import { readProcStat } from './proc-stat.js';
import { parseCommandStats, parseInfo, snapshotFromInfo, type CommandStat, type RedisSnapshot } from './redis-info.js';

export interface BenchRedis {
  server: RedisServerHandle;
  client: Redis;
  url: string;
  fsync: Fsync;
  cpu(): number;
  usedMemory(): Promise<number>;
  /** total_commands_processed */
  commandsProcessed(): Promise<number>;
  resetStats(): Promise<void>;
  commandStats(): Promise<Record<string, CommandStat>>;
  /** Commands by name and network bytes so far (one INFO stats commandstats). */
  snapshot(): Promise<RedisSnapshot>;
  slowlog(n?: number): Promise<Array<{ us: number; command: string }>>;
  stop(timeoutMs?: number): Promise<void>;
}

export async function startBenchRedis(dir: string, fsync: Fsync): Promise<BenchRedis> {
  const server = await startRedisServer({ dir, appendOnly: true, appendFsync: fsync, extraArgs: ['--loglevel', 'warning', '--slowlog-log-slower-than', '1000'] });
  const client = new Redis(server.url, { maxRetriesPerRequest: null });
  return {
    server,
    client,
    url: server.url,
    fsync,
    cpu: () => readProcStat(server.pid)?.cpu ?? 0,
    async usedMemory() {
      return Number(parseInfo(await client.info('memory')).used_memory);
    },
    async commandsProcessed() {
      return Number(parseInfo(await client.info('stats')).total_commands_processed);
    },
    async resetStats() {
      await client.config('RESETSTAT');
      await client.slowlog('RESET');
    },
    async commandStats() {
      return parseCommandStats(await client.info('commandstats'));
    },
    async snapshot() {
      return snapshotFromInfo(String(await client.call('INFO', 'stats', 'commandstats')));
    },
    async slowlog(n = 10) {
      const entries = (await client.slowlog('GET', n)) as Array<[number, number, number, string[]]>;
      return entries.map((e) => ({ us: Number(e[2]), command: e[3].slice(0, 4).join(' ').slice(0, 120) }));
    },
    async stop(timeoutMs = 60_000) {
      client.disconnect();
      await server.stop({ timeoutMs });
    },
  };
}

/**
 * Which traffic is Redis serving? MONITOR on a plain socket for a short while,
 * each command line attributed by `classify` (e.g. by the queue name in its keys
 * or job ids). MONITOR slows Redis down a little: use it outside measured windows.
 */
export async function attributeCommands(url: string, ms: number, classify: (line: string) => string): Promise<Record<string, number>> {
  const { hostname, port } = new URL(url);
  const counts: Record<string, number> = {};
  const socket = createConnection({ host: hostname, port: Number(port) });
  let buf = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\r\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (!line.startsWith('+') || line === '+OK') continue;
      const key = classify(line);
      counts[key] = (counts[key] ?? 0) + 1;
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.write('MONITOR\r\n');
  await new Promise((r) => setTimeout(r, ms));
  socket.destroy();
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, (v * 1000) / ms]));
}
