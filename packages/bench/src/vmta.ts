/**
 * Our MTA for a run: a bench configuration file and `vmta start --role ...`
 * processes (listener and delivery apart, so each one's CPU can be read from
 * /proc), all on a private Redis given as REDIS_URL with their own prefix.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { track } from './children.js';
import { readProcStat, treeCpu } from './proc-stat.js';

export interface BenchConfigOptions {
  listener?: { host: string; port: number };
  sink: { host: string; port: number };
  /** max-smtp-out of every queue (Postfix gets the same destination concurrency). */
  maxSmtpOut: number;
  /** Extra lines, e.g. `<domain *.throttle.bench.test>` stanzas. */
  extra?: string[];
  /**
   * Submission: STARTTLS with this PEM (certificate and key), AUTH required (after TLS) for these
   * users, no relaying without it. Without it, loopback clients relay without AUTH.
   */
  submission?: { certificateFile: string; users: Record<string, string> };
  /** Recipient domains routed to their own sink instead of `sink`. */
  routes?: Record<string, { host: string; port: number }>;
}

/** The bench VMTA configuration: open relay for loopback clients only, every domain to the sink. */
export function benchConfig(o: BenchConfigOptions): string {
  return [
    '# Written by pnpm bench for one run; loopback only.',
    'host-name mta.bench.test',
    'postmaster postmaster@bench.test',
    // BENCH_BODY_COMPRESSION=zstd|deflate|none: the listener's body-compression (unset: the default, zstd once the delivery process is listed).
    ...(process.env.BENCH_BODY_COMPRESSION ? [`body-compression ${process.env.BENCH_BODY_COMPRESSION}`] : []),
    ...(o.listener ? [`smtp-listener ${o.listener.host}:${o.listener.port}`] : []),
    ...(o.submission
      ? [
          `smtp-server-tls-certificate ${o.submission.certificateFile}`,
          ...Object.entries(o.submission.users).flatMap(([user, password]) => [`<smtp-user ${user}>`, `  password ${password}`, '</smtp-user>']),
          '<source 127.0.0.0/8>',
          '  allow-starttls yes',
          '  require-auth yes',
          '  require-starttls-before-auth yes',
        ]
      : ['<source 127.0.0.0/8>', '  always-allow-relaying yes']),
    '  default-virtual-mta bench',
    '  max-message-size 20M',
    '</source>',
    '<virtual-mta bench>',
    '  smtp-source-host 127.0.0.1 mta.bench.test',
    '</virtual-mta>',
    '<domain *>',
    `  smtp-hosts [${o.sink.host}]:${o.sink.port}`,
    '  use-starttls no',
    `  max-smtp-out ${o.maxSmtpOut}`,
    '  max-msg-per-connection 0',
    '</domain>',
    ...Object.entries(o.routes ?? {}).flatMap(([domain, t]) => [`<domain ${domain}>`, `  smtp-hosts [${t.host}]:${t.port}`, '</domain>']),
    ...(o.extra ?? []),
    '',
  ].join('\n');
}

/** How long a vmta process may take to start: a bound, generous for a loaded machine (load average 20+ seen). */
const START_BOUND_MS = 120_000;

export interface VmtaProcess {
  role: 'listener' | 'delivery';
  pid: number;
  logFile: string;
  cpu(): number;
  /** Nice value of its main thread from /proc (undefined once it is gone). */
  nice(): number | undefined;
  /** SIGTERM, then SIGKILL after timeoutMs. Resolves once the process is gone. */
  stop(timeoutMs?: number): Promise<void>;
  exited(): boolean;
}

export interface SpawnVmtaOptions {
  cli: string;
  config: string;
  role: 'listener' | 'delivery';
  redisUrl: string;
  prefix: string;
  dir: string;
  /** e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/x'] */
  nodeFlags?: string[];
  /** Arguments of `vmta start` after BENCH_VMTA_ARGS (so they win), e.g. ['--nice', '0']. */
  args?: string[];
  name?: string;
  /** The Node binary our process runs on: default BENCH_VMTA_NODE, else the bench's own. */
  node?: string;
}

function waitForEvent(logFile: string, match: (ev: Record<string, unknown>) => boolean, child: ChildProcess, timeoutMs: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      for (const line of text.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const ev = JSON.parse(line) as Record<string, unknown>;
          if (match(ev)) return resolve(ev);
        } catch {
          /* partial line */
        }
      }
      if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`vmta exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${text.slice(-2000)}`));
      if (Date.now() > deadline) return reject(new Error(`vmta not ready after ${timeoutMs} ms:\n${text.slice(-2000)}`));
      setTimeout(poll, 50);
    };
    poll();
  });
}

/** Logs go to a file, as an operator would run it; the bench only polls the file until the process is up. */
export async function spawnVmta(o: SpawnVmtaOptions): Promise<VmtaProcess> {
  const logFile = path.join(o.dir, `${o.name ?? o.role}.log`);
  const fd = openSync(logFile, 'a');
  // BENCH_VMTA_LISTENER_PROCESSES=N|auto: `vmta start --listener-processes` of every listener the bench starts.
  const listenerProcesses = o.role === 'listener' && process.env.BENCH_VMTA_LISTENER_PROCESSES ? ['--listener-processes', process.env.BENCH_VMTA_LISTENER_PROCESSES] : [];
  const child = track(spawn(o.node ?? (process.env.BENCH_VMTA_NODE || process.execPath), [...(o.nodeFlags ?? []), o.cli, 'start', '--role', o.role, '--config', o.config, '--data-dir', path.join(o.dir, 'data'), ...listenerProcesses, ...(process.env.BENCH_VMTA_ARGS ? process.env.BENCH_VMTA_ARGS.split(' ') : []), ...(o.args ?? [])], {
    cwd: o.dir,
    env: { ...process.env, REDIS_URL: o.redisUrl, VMTA_PREFIX: o.prefix, NODE_OPTIONS: '' },
    stdio: ['ignore', fd, fd],
  }));
  closeSync(fd);
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (timeoutMs = 30_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exit;
    clearTimeout(timer);
  };
  try {
    await waitForEvent(logFile, (ev) => ev.event === 'started' && ev.component === 'main', child, START_BOUND_MS);
  } catch (err) {
    await stop(1000);
    throw err;
  }
  return {
    role: o.role,
    pid: child.pid!,
    logFile,
    // The whole process tree: a listener with --listener-processes N does its work in its children.
    cpu: () => treeCpu(child.pid!).total,
    nice: () => readProcStat(child.pid!)?.nice,
    stop,
    exited: () => child.exitCode !== null || child.signalCode !== null,
  };
}
