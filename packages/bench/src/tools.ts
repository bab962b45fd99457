/**
 * The outside programs the bench needs, installed from Debian when missing:
 * `postfix` brings smtp-source, smtp-sink and the baseline MTA; `redis-server`;
 * `sasl2-bin` and `libsasl2-modules` Postfix's SASL for the submission load.
 * debconf is preseeded so the postfix package neither prompts nor configures
 * (and starts) a system mail server.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export class ToolMissingError extends Error {
  readonly code = 'BENCH_TOOL_MISSING';
}

const SEARCH = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];

export function findTool(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SEARCH];
  for (const dir of dirs) {
    const p = path.join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

export interface Tools {
  smtpSource: string;
  smtpSink: string;
  postfix: string;
  postconf: string;
  redisServer: string;
}

function asRoot(cmd: string, args: string[], input?: string): void {
  const root = process.getuid?.() === 0;
  const [bin, argv] = root ? [cmd, args] : ['sudo', ['-n', cmd, ...args]];
  const r = spawnSync(bin, argv, {
    input,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) throw new ToolMissingError(`${bin} ${argv.join(' ')} failed (exit ${r.status}); install the package by hand`);
}

function aptInstall(packages: string[], log: (line: string) => void): void {
  log(`installing ${packages.join(', ')} with apt-get`);
  if (packages.includes('postfix')) asRoot('debconf-set-selections', [], 'postfix postfix/main_mailer_type select No configuration\n');
  asRoot('apt-get', ['update', '-qq']);
  asRoot('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages]);
}

export function ensureTools(log: (line: string) => void): Tools {
  const missing = new Set<string>();
  if (!findTool('smtp-source') || !findTool('smtp-sink') || !findTool('postfix') || !findTool('postconf')) missing.add('postfix');
  if (!findTool('redis-server')) missing.add('redis-server');
  // The submission load: Postfix's SASL from a private sasldb (saslpasswd2; PLAIN and LOGIN mechanisms), certificates by openssl.
  if (!findTool('saslpasswd2')) ['sasl2-bin', 'libsasl2-modules'].forEach((p) => missing.add(p));
  if (!findTool('openssl')) missing.add('openssl');
  if (missing.size > 0) aptInstall([...missing], log);
  const need = (name: string): string => {
    const p = findTool(name);
    if (!p) throw new ToolMissingError(`${name} not found after installing`);
    return p;
  };
  return {
    smtpSource: need('smtp-source'),
    smtpSink: need('smtp-sink'),
    postfix: need('postfix'),
    postconf: need('postconf'),
    redisServer: need('redis-server'),
  };
}

export function toolVersions(tools: Tools): { redis: string; postfix: string } {
  const run = (bin: string, args: string[]) => {
    try {
      return execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return 'unknown';
    }
  };
  const redis = /v=(\S+)/.exec(run(tools.redisServer, ['--version']))?.[1] ?? 'unknown';
  const postfix = /=\s*(\S+)/.exec(run(tools.postconf, ['-d', 'mail_version']))?.[1] ?? 'unknown';
  return { redis, postfix };
}
