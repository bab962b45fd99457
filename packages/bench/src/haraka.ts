/**
 * Haraka, the Node.js MTA our users would otherwise pick, as a second peer:
 * installed with npm into a private folder outside the workspace (its version
 * pinned here), one process (Haraka's default: no `nodes`), a config directory
 * per run under a temp dir. Mail from loopback clients (or, for submission,
 * from clients that authenticated) is relayed through Haraka's outbound queue:
 * one queue file per destination domain on disk, written with fsync before the
 * 250 (outbound's FsyncWriteStream), then delivered to the sink a plugin of the
 * bench names as the MX (`bench_route`). Everything else is Haraka's default.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { track } from './children.js';
import { allProcesses, treeCpu } from './proc-stat.js';

/** The Haraka release the bench installs (npm `Haraka`); kept out of the workspace's lockfile. */
export const HARAKA_VERSION = '3.3.4';

/** Where it is installed: BENCH_HARAKA_DIR, or ~/.cache/vmta-bench/haraka-<version>. */
export function harakaDir(): string {
  return process.env.BENCH_HARAKA_DIR ?? path.join(os.homedir(), '.cache', 'vmta-bench', `haraka-${HARAKA_VERSION}`);
}

/** The `haraka` script, installed with `npm install` first when missing. */
export function ensureHaraka(log: (line: string) => void): string {
  const dir = harakaDir();
  const bin = path.join(dir, 'node_modules', 'Haraka', 'bin', 'haraka');
  if (existsSync(bin)) return bin;
  log(`installing Haraka ${HARAKA_VERSION} with npm into ${dir}`);
  mkdirSync(dir, { recursive: true });
  // Its one native dependency (modern-syslog, for the syslog plugin) is not built: the bench logs to a file.
  execFileSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--omit=dev', '--ignore-scripts', `Haraka@${HARAKA_VERSION}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (!existsSync(bin)) throw new Error(`npm install Haraka@${HARAKA_VERSION} left no ${bin}`);
  return bin;
}

export interface HostPort {
  host: string;
  port: number;
}

export interface HarakaOptions {
  /** A fresh directory: Haraka's config (-c), its queue and its log go there. */
  dir: string;
  listen: HostPort;
  /** Where outbound mail goes: per recipient domain, else `default`. */
  routes: { default: HostPort; domains?: Record<string, HostPort> };
  /**
   * Submission: STARTTLS with this key and certificate (PEM), and the ECDSA pair too when given (tls.ini
   * takes key[] and cert[] lists, handed to Node's createSecureContext as one context with both), AUTH
   * against these users; no relaying without AUTH.
   */
  submission?: { keyPem: string; certPem: string; ecdsa?: { keyPem: string; certPem: string }; users: Record<string, string> };
  /** outbound.ini concurrency_max (all destinations together). */
  concurrency: number;
}

/** The bench's plugin: relaying for loopback clients (unless submission), the sink as MX, deferrals and bounces counted in a file. */
const ROUTE_PLUGIN = `'use strict'
const fs = require('node:fs')
const path = require('node:path')
exports.register = function () {
  this.cfg = this.config.get('bench_route.json')
  this.outcomes = path.join(process.env.HARAKA, 'outcomes.log')
}
// Stock Haraka asks the system resolver for every client's PTR record; the bench stays on loopback
// (Postfix runs with smtpd_peername_lookup = no, our listener without reverse lookups).
exports.hook_lookup_rdns = function (next) {
  next(OK, 'localhost')
}
exports.hook_connect = function (next, connection) {
  if (this.cfg.relayLoopback && connection.remote.ip.startsWith('127.')) connection.relaying = true
  next()
}
exports.hook_get_mx = function (next, hmail, domain) {
  const r = this.cfg.domains[domain] || this.cfg.default
  next(OK, [{ exchange: r.host, port: r.port, priority: 0 }])
}
exports.hook_deferred = function (next) {
  fs.appendFileSync(this.outcomes, 'deferred\\n')
  next()
}
exports.hook_bounce = function (next) {
  fs.appendFileSync(this.outcomes, 'bounced\\n')
  next()
}
`;

/** Files of Haraka's directory (-c) for these options (path → content): config/*, plugins/*. */
export function harakaConfigFiles(o: HarakaOptions): Record<string, string> {
  const files: Record<string, string> = {
    'config/me': 'haraka.bench.test\n',
    'config/smtp.ini': `listen=${o.listen.host}:${o.listen.port}\n`,
    'config/log.ini': '[main]\nlevel=info\ntimestamps=false\n',
    'config/outbound.ini': `concurrency_max=${o.concurrency}\nenable_tls=false\nlocal_mx_ok=true\n`,
    'config/bench_route.json': `${JSON.stringify({ relayLoopback: !o.submission, default: o.routes.default, domains: o.routes.domains ?? {} })}\n`,
    'plugins/bench_route.js': ROUTE_PLUGIN,
    'config/plugins': `${[...(o.submission ? ['tls', 'auth/flat_file'] : []), 'bench_route'].join('\n')}\n`,
  };
  if (o.submission) {
    files['config/tls_key.pem'] = o.submission.keyPem;
    files['config/tls_cert.pem'] = o.submission.certPem;
    files['config/tls.ini'] = 'key[]=tls_key.pem\ncert[]=tls_cert.pem\n';
    if (o.submission.ecdsa) {
      files['config/tls_eckey.pem'] = o.submission.ecdsa.keyPem;
      files['config/tls_eccert.pem'] = o.submission.ecdsa.certPem;
      files['config/tls.ini'] += 'key[]=tls_eckey.pem\ncert[]=tls_eccert.pem\n';
    }
    files['config/auth_flat_file.ini'] = `[core]\nmethods=PLAIN,LOGIN\n\n[users]\n${Object.entries(o.submission.users)
      .map(([u, p]) => `${u}=${p}`)
      .join('\n')}\n`;
  }
  return files;
}

export interface HarakaInstance {
  pid: number;
  listen: HostPort;
  cpu(): number;
  /** Deferrals and bounces so far (from the bench plugin's file). */
  outcomes(): { deferred: number; bounced: number };
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

function greets(t: HostPort): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(t);
    s.setTimeout(1000, () => (s.destroy(), resolve(false)));
    s.once('data', (d) => {
      s.end('QUIT\r\n');
      resolve(d.toString('latin1').startsWith('220'));
    });
    s.once('error', () => resolve(false));
  });
}

export async function startHaraka(bin: string, o: HarakaOptions): Promise<HarakaInstance> {
  for (const d of ['config', 'plugins', 'queue']) mkdirSync(path.join(o.dir, d), { recursive: true });
  // Haraka's stock config files first (connection.ini and the rest), then ours over them.
  cpSync(path.join(path.dirname(path.dirname(bin)), 'config'), path.join(o.dir, 'config'), { recursive: true });
  for (const [name, text] of Object.entries(harakaConfigFiles(o))) writeFileSync(path.join(o.dir, name), text);
  const logFile = path.join(o.dir, 'haraka.log');
  const fd = openSync(logFile, 'a');
  const child = track(spawn(process.execPath, [bin, '-c', o.dir], { cwd: o.dir, env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', fd, fd] }));
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const logTail = (lines = 20) => (existsSync(logFile) ? readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)');
  // bin/haraka runs haraka.js as a child process: the meter and the stop take the whole tree.
  const descendants = () => {
    const procs = allProcesses();
    const out: number[] = [];
    const walk = (pid: number) => procs.filter((p) => p.ppid === pid).forEach((p) => (out.push(p.pid), walk(p.pid)));
    walk(child.pid!);
    return out;
  };
  const signal = (pid: number, sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      /* gone */
    }
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const kids = descendants();
    child.kill('SIGTERM');
    kids.forEach((pid) => signal(pid, 'SIGTERM'));
    const timer = setTimeout(() => [child.pid!, ...kids].forEach((pid) => signal(pid, 'SIGKILL')), 10_000);
    await exited;
    const until = Date.now() + 15_000;
    while (kids.some((pid) => existsSync(`/proc/${pid}`)) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    clearTimeout(timer);
  };
  const deadline = Date.now() + 30_000;
  while (!(await greets(o.listen))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`Haraka did not start on ${o.listen.host}:${o.listen.port}:\n${logTail()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const outcomesFile = path.join(o.dir, 'outcomes.log');
  return {
    pid: child.pid!,
    listen: o.listen,
    cpu: () => treeCpu(child.pid!).total,
    outcomes() {
      const text = existsSync(outcomesFile) ? readFileSync(outcomesFile, 'utf8') : '';
      return { deferred: text.split('deferred').length - 1, bounced: text.split('bounced').length - 1 };
    },
    logTail,
    stop,
  };
}
