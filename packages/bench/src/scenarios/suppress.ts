/**
 * Scenario "suppress": N suppressed addresses (default 10,000,000) loaded into one tenant's store
 * (pipelined multi-field HSETs of the store's own encoding, straight into the bench Redis), Redis
 * used_memory per entry, then the listener's accept rate (smtp-source, one recipient a message, not
 * suppressed: a lookup that misses the full hash) with the suppression store looked up at every RCPT
 * (`use-suppression-store yes`, the default) and without it, alternating, `runs` times each.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeSuppression, Keys, SuppressionStore } from '@vmta/queue';
import { getFreePort } from '@vmta/redis-server';
import type { BenchOptions } from '../args.js';
import { startBenchRedis } from '../bench-redis.js';
import { runSource } from '../source.js';
import { benchConfig, spawnVmta } from '../vmta.js';
import { ADDR, FROM, pool, sleep, TO, tempDir, type Context } from './common.js';
import { parseInfo } from '../redis-info.js';

export interface SuppressAcceptRun {
  lookups: boolean;
  messages: number;
  ms: number;
  msgPerSec: number;
  listenerCpuPer1000: number;
  redisCpuPer1000: number;
}

export interface SuppressResult {
  entries: number;
  loadSeconds: number;
  loadPerSec: number;
  usedMemoryBytes: number;
  bytesPerEntry: number;
  messages: number;
  runs: SuppressAcceptRun[];
  /** Median msg/s with and without lookups. */
  withLookups: number;
  withoutLookups: number;
}

const TENANT = 'source:default';
const BATCH = 1000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export async function runSuppress(ctx: Context, opts: BenchOptions): Promise<SuppressResult> {
  const entries = opts.suppressed;
  const tmp = tempDir('suppress');
  const redis = await startBenchRedis(path.join(tmp.dir, 'redis'), 'everysec');
  const prefix = 'bench';
  try {
    const key = new Keys(prefix).suppressions(TENANT);
    const before = await redis.usedMemory();
    const value = encodeSuppression({ reason: 'manual', addedMs: Date.now(), expiresMs: 0 });
    const loadStart = performance.now();
    const batches = Math.ceil(entries / BATCH);
    let done = 0;
    await pool(Array.from({ length: batches }, (_, b) => b), 8, async (b) => {
      const args: string[] = [];
      for (let i = b * BATCH; i < Math.min(entries, (b + 1) * BATCH); i++) args.push(`user${i}@list${i % 997}.bench.test`, value);
      await redis.client.hset(key, ...args);
      if (++done % 1000 === 0) ctx.log(`suppress: loaded ${done * BATCH} entries`);
    });
    const loadSeconds = (performance.now() - loadStart) / 1000;
    await redis.client.sadd(new Keys(prefix).suppressionTenants(), TENANT);
    const usedMemoryBytes = (await redis.usedMemory()) - before;
    const store = new SuppressionStore(redis.client, prefix);
    if (!(await store.lookup(TENANT, `user${entries - 1}@list${(entries - 1) % 997}.bench.test`))) throw new Error('suppress: the last entry loaded is not found');
    ctx.log(`suppress: ${entries} entries in ${loadSeconds.toFixed(1)} s, ${Math.round(usedMemoryBytes / entries)} bytes each`);
    // The load grows the AOF past auto-aof-rewrite: let that rewrite (a fork writing ~1 GB) end before measuring.
    for (let i = 0; i < 600; i++) {
      const info = parseInfo(await redis.client.info('persistence'));
      if (info.aof_rewrite_in_progress !== '1' && info.aof_rewrite_scheduled !== '1' && info.rdb_bgsave_in_progress !== '1') break;
      await sleep(1000);
    }

    const messages = opts.quick ? 2_000 : 20_000;
    const runs: SuppressAcceptRun[] = [];
    const order = Array.from({ length: Math.max(1, opts.runs) }, (_, i) => (i % 2 === 0 ? [true, false] : [false, true])).flat();
    for (const [i, lookups] of order.entries()) {
      const dir = path.join(tmp.dir, `run${i}`);
      const listenAt = { host: ADDR.listener, port: await getFreePort(ADDR.listener) };
      const config = path.join(tmp.dir, `vmta-${i}.conf`);
      writeFileSync(config, benchConfig({ listener: listenAt, sink: { host: ADDR.sink, port: 9 }, maxSmtpOut: 20, extra: [`use-suppression-store ${lookups ? 'yes' : 'no'}`] }));
      mkdirSync(dir, { recursive: true });
      const listener = await spawnVmta({ cli: ctx.cli, config, role: 'listener', redisUrl: redis.url, prefix, dir });
      try {
        const cpu0 = listener.cpu();
        const redisCpu0 = redis.cpu();
        const r = await runSource(ctx.tools.smtpSource, { messages, sessions: opts.sessions, size: opts.size, from: FROM, to: TO }, listenAt.host, listenAt.port);
        if (r.exitCode !== 0) throw new Error(`smtp-source failed: ${r.stderr}`);
        const run: SuppressAcceptRun = {
          lookups,
          messages,
          ms: Math.round(r.ms),
          msgPerSec: Math.round((messages / r.ms) * 1000),
          listenerCpuPer1000: Math.round(((listener.cpu() - cpu0) / messages) * 1000 * 100) / 100,
          redisCpuPer1000: Math.round(((redis.cpu() - redisCpu0) / messages) * 1000 * 100) / 100,
        };
        runs.push(run);
        ctx.log(`suppress: accept ${lookups ? 'with' : 'without'} lookups: ${run.msgPerSec} msg/s`);
      } finally {
        await listener.stop();
      }
    }
    return {
      entries,
      loadSeconds: Math.round(loadSeconds * 10) / 10,
      loadPerSec: Math.round(entries / loadSeconds),
      usedMemoryBytes,
      bytesPerEntry: Math.round(usedMemoryBytes / entries),
      messages,
      runs,
      withLookups: Math.round(median(runs.filter((r) => r.lookups).map((r) => r.msgPerSec))),
      withoutLookups: Math.round(median(runs.filter((r) => !r.lookups).map((r) => r.msgPerSec))),
    };
  } finally {
    await redis.stop();
    tmp.remove();
  }
}

export function renderSuppress(r: SuppressResult & { ranAt: string; loadAvgAtStart: number[] }): string {
  const rows = r.runs.map((x) => `| ${x.lookups ? 'yes' : 'no'} | ${x.msgPerSec.toLocaleString('en-US')} | ${x.listenerCpuPer1000} | ${x.redisCpuPer1000} |`);
  return [
    `## 6. Suppression store: ${r.entries.toLocaleString('en-US')} addresses`,
    '',
    `Run at ${r.ranAt} (load average ${r.loadAvgAtStart.join(' ')} at the start). ${r.entries.toLocaleString('en-US')} addresses in one tenant's store (one hash), loaded by pipelined HSETs in ${r.loadSeconds} s (${r.loadPerSec.toLocaleString('en-US')}/s): Redis used_memory +${(r.usedMemoryBytes / 2 ** 20).toFixed(0)} MiB, **${r.bytesPerEntry} bytes per entry**. Accept rate of the listener alone (smtp-source, ${r.messages.toLocaleString('en-US')} messages of one recipient, a lookup that misses the full hash), runs alternating:`,
    '',
    '| RCPT lookup | accepted msg/s | listener CPU s / 1,000 | Redis CPU s / 1,000 |',
    '|---|---|---|---|',
    ...rows,
    '',
    `Median: ${r.withLookups.toLocaleString('en-US')} msg/s with the lookup, ${r.withoutLookups.toLocaleString('en-US')} without (${r.withoutLookups ? ((r.withLookups / r.withoutLookups) * 100).toFixed(0) : '?'} %).`,
  ].join('\n');
}
