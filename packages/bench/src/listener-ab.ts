#!/usr/bin/env node
/**
 * Side by side: two listeners (`vmta start --role listener` of two builds, e.g. a checkout of main and
 * this one) on one private Redis (AOF, appendfsync always, as the bench), the same load driven at each in
 * short rounds: both at once (`--mode concurrent`, the default: both see the same box in the same second) or
 * one after the other, the order alternating (`--mode alternate`). Each listener's CPU per 1,000 messages is
 * read from the scheduler's run time of its threads (/proc/<pid>/task/<tid>/schedstat). Changes of a few per cent
 * show here where the bench's single runs on a shared box move ±30 % (issue 13). No delivery: the mail
 * stays queued in Redis (memory grows by ≈ 2 KB per 10 KB message, ≈ 12 MB per 1,000 of the size mix).
 *
 *   node packages/bench/dist/listener-ab.js --old /work/base/packages/cli/dist/main.js \
 *     [--new packages/cli/dist/main.js] [--loads reused,per-connection,size-mix,fan-out,submission] [--rounds 8] \
 *     [--messages 1000] [--warmup 3000] [--sessions 20] [--mode concurrent|alternate] [--profile-dir DIR] \
 *     [--codec zstd|deflate] [--gc-dir DIR] [--old-node BIN] [--new-node BIN]
 *
 * `--old-node` / `--new-node`: the Node binary each side's listener runs on (default: this script's), e.g.
 * the same build on two Node releases.
 *
 * `--codec`: the body compression the listeners store with. A listener stores zstd only while a delivery
 * process that reads it is alive in the process list (zstd-readers.ts), as in the bench's end-to-end runs;
 * with `zstd` (the default) this script lists such a stand-in delivery process under each listener's prefix
 * (a record and its heartbeat, nothing delivers), with `deflate` it lists none and the listeners deflate.
 *
 * `submission`: STARTTLS, EHLO, AUTH PLAIN and one 10 KB message per connection (the bench's submission
 * load, RSA + ECDSA certificates), on a second listener per side configured as the bench's submission
 * MTA; its CPU is that listener's alone.
 *
 * `--profile-dir`: after the rounds, one more window of each load on each listener under a V8 CPU
 * profile (the listeners then start with cpuprof-preload.js; `<dir>/<load>-<old|new>-listener.cpuprofile`,
 * read with profile-inclusive.js). Run it under `flock /tmp/bench.lock`.
 *
 * `--gc-dir`: the listeners start with gc-preload.js and record every collection into DIR; the report adds
 * each side's GC milliseconds per 1,000 messages over the measured rounds (scavenges and mark-compacts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { READABLE_BODY_ENCODINGS, registerProcess, type ProcessRegistration } from '@vmta/queue';
import { getFreePort } from '@vmta/redis-server';
import { Redis } from 'ioredis';
import { startBenchRedis } from './bench-redis.js';
import { messageWithHeaders, sourceLikePayload, textPayload } from './bodies.js';
import { startCpuProfileWindow } from './cpuprof-window.js';
import { gcNodeFlags, gcWindow, readGcEntries } from './gc-window.js';
import { readMainThreadRuntime, readRuntime } from './proc-stat.js';
import { runSenders, type SenderLoad } from './sender-client.js';
import { FROM, TO, tempDir } from './scenarios/common.js';
import { SUBMISSION_USERS } from './scenarios/senders-env.js';
import { FANOUT, fanoutDomain, SIZE_MIX, sizeClass } from './scenarios/senders-loads.js';
import { makeCert } from './tls-cert.js';
import { median } from './runs.js';
import { benchConfig, spawnVmta, type VmtaProcess } from './vmta.js';

const LOADS = ['reused', 'per-connection', 'size-mix', 'fan-out', 'submission'] as const;
type LoadName = (typeof LOADS)[number];
const HOST = '127.0.0.5';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const log = (line: string) => process.stderr.write(`[listener-ab ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

const SUBMISSION_USER = Object.keys(SUBMISSION_USERS)[0]!;

function loadOf(name: LoadName, port: number, messages: number, sessions: number): SenderLoad {
  const plain = Buffer.from(messageWithHeaders(sourceLikePayload(10240), FROM, TO, 'ab'));
  const mix = SIZE_MIX.map((s, i) => Buffer.from(messageWithHeaders(textPayload(s.bytes, 7 + i), FROM, TO, `mix${i}`)));
  return {
    host: HOST,
    port,
    sessions,
    messages,
    connectionPerMessage: name === 'per-connection' || name === 'submission',
    // submission: STARTTLS, EHLO, AUTH PLAIN per connection, as the bench's submission load (ECDSA certificate negotiated).
    ...(name === 'submission' ? { submission: { user: SUBMISSION_USER, password: SUBMISSION_USERS[SUBMISSION_USER]!, serverKey: 'ec' } } : {}),
    from: FROM,
    // fan-out: each message to FANOUT.recipients recipients over FANOUT.domains domains (the bench's fan-out load).
    recipients: name === 'fan-out' ? (k) => Array.from({ length: FANOUT.recipients }, (_, j) => `u${j}.m${k}@${fanoutDomain(j % FANOUT.domains)}`) : () => [TO],
    body: name === 'size-mix' ? (k) => mix[sizeClass(k)]! : () => plain,
  };
}

/** One listener process: the plain loads' (loopback relays without AUTH) or submission's (STARTTLS + AUTH required). */
interface Listener {
  proc: VmtaProcess;
  port: number;
}

interface Side {
  name: 'old' | 'new';
  plain?: Listener;
  submission?: Listener;
}

const listenerFor = (side: Side, load: LoadName): Listener => (load === 'submission' ? side.submission : side.plain)!;

/** Wall time (ms) and median dot → 250 (ms) of each measured run, per load and side: the latency the CPU figures came with. */
const timings = new Map<string, { ms: number[]; dot: number[] }>();
/** Main-thread (event loop) CPU seconds per 1,000 messages of each measured run, per load and side. */
const mainThread = new Map<string, number[]>();
/** Wall-clock window ([from, to), ms since the epoch) of each run, per load and side: what --gc-dir sums over. */
const windows = new Map<string, Array<[number, number]>>();

/** Listener CPU seconds per 1,000 messages over one run of `messages` messages. */
async function measure(side: Side, load: LoadName, messages: number, sessions: number): Promise<number> {
  const { proc, port } = listenerFor(side, load);
  const before = readRuntime(proc.pid)!;
  const mainBefore = readMainThreadRuntime(proc.pid)!;
  const from = Date.now();
  const r = await runSenders(loadOf(load, port, messages, sessions));
  windows.set(`${load} ${side.name}`, [...(windows.get(`${load} ${side.name}`) ?? []), [from, Date.now()]]);
  const after = readRuntime(proc.pid)!;
  const mainAfter = readMainThreadRuntime(proc.pid)!;
  if (r.failures > 0) throw new Error(`${side.name} ${load}: ${r.failures} of ${messages} not accepted (${r.firstError})`);
  const t = timings.get(`${load} ${side.name}`) ?? { ms: [], dot: [] };
  t.ms.push(r.ms);
  t.dot.push(median(r.dotTo250));
  timings.set(`${load} ${side.name}`, t);
  const m = mainThread.get(`${load} ${side.name}`) ?? [];
  m.push(((mainAfter - mainBefore) * 1000) / messages);
  mainThread.set(`${load} ${side.name}`, m);
  return ((after - before) * 1000) / messages;
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      old: { type: 'string' },
      new: { type: 'string', default: path.join(root, 'packages/cli/dist/main.js') },
      'old-node': { type: 'string' },
      'new-node': { type: 'string' },
      'old-flags': { type: 'string' },
      'new-flags': { type: 'string' },
      loads: { type: 'string', default: LOADS.filter((l) => l !== 'submission').join(',') },
      rounds: { type: 'string', default: '8' },
      messages: { type: 'string', default: '1000' },
      warmup: { type: 'string', default: '3000' },
      sessions: { type: 'string', default: '20' },
      'profile-dir': { type: 'string' },
      'gc-dir': { type: 'string' },
      mode: { type: 'string', default: 'concurrent' },
      codec: { type: 'string', default: 'zstd' },
      out: { type: 'string' },
    },
  });
  if (!v.old) throw new Error('--old <path of the old build\'s packages/cli/dist/main.js> is required');
  const loads = v.loads.split(',').map((l) => {
    if (!(LOADS as readonly string[]).includes(l)) throw new Error(`unknown load ${l} (${LOADS.join(', ')})`);
    return l as LoadName;
  });
  if (v.mode !== 'concurrent' && v.mode !== 'alternate') throw new Error(`--mode concurrent|alternate, not ${v.mode}`);
  const concurrent = v.mode === 'concurrent';
  if (v.codec !== 'zstd' && v.codec !== 'deflate') throw new Error(`--codec zstd|deflate, not ${v.codec}`);
  const rounds = Number(v.rounds);
  const messages = Number(v.messages);
  const sessions = Number(v.sessions);
  const profileDir = v['profile-dir'] ? path.resolve(v['profile-dir']) : undefined;
  if (profileDir) process.env.BENCH_CPUPROF_WINDOW = profileDir;
  const gcDir = v['gc-dir'] ? path.resolve(v['gc-dir']) : undefined;
  if (gcDir) {
    mkdirSync(gcDir, { recursive: true });
    process.env.BENCH_GC_DIR = gcDir;
  }

  const tmp = tempDir('listener-ab');
  const redis = await startBenchRedis(path.join(tmp.dir, 'redis'), 'always');
  const sides: Side[] = [];
  const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const standIns: ProcessRegistration[] = [];
  try {
    if (v.codec === 'zstd') await client.connect();
    // Submission needs its own listener (AUTH required there, the plain loads relay without it): a second
    // process per side, with the bench's certificates (RSA 2048 + ECDSA P-256 in one PEM).
    const kinds = [...(loads.some((l) => l !== 'submission') ? ['plain' as const] : []), ...(loads.includes('submission') ? ['submission' as const] : [])];
    const cert = kinds.includes('submission') ? makeCert(tmp.dir, 'rsa+ecdsa') : undefined;
    // Absolute: each listener runs in its own directory.
    for (const [name, cli] of [['old', path.resolve(v.old)], ['new', path.resolve(v.new)]] as const) {
      const side: Side = { name };
      for (const kind of kinds) {
        const port = await getFreePort(HOST);
        const dir = path.join(tmp.dir, `${name}-${kind}`);
        const config = path.join(tmp.dir, `${name}-${kind}.conf`);
        mkdirSync(dir, { recursive: true });
        const submission = kind === 'submission' ? { certificateFile: cert!.bothFile, users: SUBMISSION_USERS } : undefined;
        // No delivery runs: the sink is never dialled.
        writeFileSync(config, benchConfig({ listener: { host: HOST, port }, sink: { host: '127.0.0.4', port: 9 }, maxSmtpOut: 20, ...(submission ? { submission } : {}) }));
        const sideFlags = (name === 'old' ? v['old-flags'] : v['new-flags'])?.split(' ').filter(Boolean) ?? [];
        const nodeFlags = [...sideFlags, ...(profileDir ? ['--import', fileURLToPath(new URL('./cpuprof-preload.js', import.meta.url))] : []), ...gcNodeFlags(gcDir)];
        const prefix = `ab-${name}-${kind}`;
        if (v.codec === 'zstd') standIns.push(await registerProcess(client, { role: 'delivery', vmtas: [], listeners: [], bodyEncodings: [...READABLE_BODY_ENCODINGS] }, { prefix }));
        const node = name === 'old' ? v['old-node'] : v['new-node'];
        const proc = await spawnVmta({ cli, config, role: 'listener', redisUrl: redis.url, prefix, dir, nodeFlags, args: ['--http', 'off'], ...(node ? { node } : {}) });
        side[kind] = { proc, port };
        log(`${name} ${kind}: ${node ?? process.execPath} ${cli}, pid ${proc.pid}, port ${port}`);
      }
      sides.push(side);
    }
    const warm = Number(v.warmup);
    for (const load of loads) await Promise.all(sides.map((s) => measure(s, load, Math.max(sessions, Math.round(warm / loads.length)), sessions)));
    log(`warmed up (${warm} messages each)`);
    const results: Record<string, { old: number[]; new: number[] }> = {};
    for (const load of loads) results[load] = { old: [], new: [] };
    for (let r = 0; r < rounds; r++) {
      for (const load of loads) {
        if (concurrent) {
          const both = await Promise.all(sides.map((s) => measure(s, load, messages, sessions)));
          sides.forEach((s, i) => results[load]![s.name].push(both[i]!));
        } else {
          const order = r % 2 === 0 ? sides : [...sides].reverse();
          for (const s of order) results[load]![s.name].push(await measure(s, load, messages, sessions));
        }
        log(`round ${r + 1} ${load}: old ${results[load]!.old.at(-1)!.toFixed(3)} new ${results[load]!.new.at(-1)!.toFixed(3)} s / 1,000`);
      }
    }
    const lines = [`listener CPU s per 1,000 messages, ${v.mode} mode, bodies ${v.codec}, ${rounds} rounds of ${messages} messages, ${sessions} sessions, after ${warm} messages of warm-up; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`];
    for (const load of loads) {
      const { old, new: neu } = results[load]!;
      const lower = neu.filter((x, i) => x < old[i]!).length;
      const ratios = neu.map((x, i) => x / old[i]!);
      lines.push(
        `${load}: old ${old.map((x) => x.toFixed(3)).join(' ')}`,
        `${load}: new ${neu.map((x) => x.toFixed(3)).join(' ')}`,
        `${load}: medians old ${median(old).toFixed(3)} new ${median(neu).toFixed(3)}; median pair ratio new/old ${median(ratios).toFixed(3)}; new lower in ${lower} of ${rounds}`,
      );
    }
    for (const load of loads) {
      // The event loop alone (work moved to libuv's pool leaves it, not the process): the runs after the warm-up.
      const main = (side: 'old' | 'new') => mainThread.get(`${load} ${side}`)!.slice(-rounds);
      const ratios = main('new').map((x, i) => x / main('old')[i]!);
      const lower = main('new').filter((x, i) => x < main('old')[i]!).length;
      lines.push(`${load}: main thread medians old ${median(main('old')).toFixed(3)} new ${median(main('new')).toFixed(3)}; median pair ratio new/old ${median(ratios).toFixed(3)}; new lower in ${lower} of ${rounds}`);
    }
    for (const load of loads) {
      const of = (side: 'old' | 'new') => timings.get(`${load} ${side}`)!;
      lines.push(
        `${load}: median run wall ms old ${median(of('old').ms).toFixed(0)} new ${median(of('new').ms).toFixed(0)}; median dot → 250 ms old ${median(of('old').dot).toFixed(2)} new ${median(of('new').dot).toFixed(2)} (warm-up included)`,
      );
    }
    if (gcDir) {
      // The preload writes every 100 ms.
      await new Promise((r) => setTimeout(r, 300));
      for (const load of loads) lines.push(gcLine(load, sides, gcDir, rounds, messages));
    }
    if (profileDir) {
      for (const load of loads) {
        for (const s of sides) {
          const rec = startCpuProfileWindow(`${load}-${s.name}`, { listener: listenerFor(s, load).proc.pid }, profileDir);
          await measure(s, load, messages, sessions);
          await rec?.stop();
        }
      }
      lines.push(`profiles in ${profileDir}`);
    }
    const text = `${lines.join('\n')}\n`;
    process.stdout.write(text);
    if (v.out) writeFileSync(v.out, text);
  } finally {
    for (const s of sides) for (const l of [s.plain, s.submission]) await l?.proc.stop(10_000);
    for (const r of standIns) r.stop();
    client.disconnect();
    await redis.stop();
    tmp.remove();
  }
}

/** GC ms per 1,000 messages of each side over the measured rounds (the last `rounds` runs: after the warm-up). */
function gcLine(load: LoadName, sides: Side[], dir: string, rounds: number, messages: number): string {
  const per = (side: Side) => {
    const entries = readGcEntries(dir, listenerFor(side, load).proc.pid);
    return windows
      .get(`${load} ${side.name}`)!
      .slice(-rounds)
      .map(([from, to]) => gcWindow(entries, from, to));
  };
  const [old, neu] = [per(sides.find((s) => s.name === 'old')!), per(sides.find((s) => s.name === 'new')!)];
  const ms = (runs: ReturnType<typeof per>, kind?: string) => runs.map((g) => ((kind ? (g.msByKind[kind] ?? 0) : g.totalMs) * 1000) / messages);
  const ratios = ms(neu).map((x, i) => x / ms(old)[i]!);
  const lower = ms(neu).filter((x, i) => x < ms(old)[i]!).length;
  const med = (runs: ReturnType<typeof per>, kind?: string) => median(ms(runs, kind)).toFixed(1);
  return (
    `${load}: GC ms / 1,000 medians old ${med(old)} new ${med(neu)}; median pair ratio new/old ${median(ratios).toFixed(3)}; new lower in ${lower} of ${rounds}` +
    ` (scavenge old ${med(old, 'scavenge')} new ${med(neu, 'scavenge')}, mark-compact old ${med(old, 'mark-compact')} new ${med(neu, 'mark-compact')})`
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`listener-ab: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
