/**
 * A REDIS_URL (or redis-wait-* setting) that cannot be used: one line on stderr and exit 2
 * (usage), for a command that talks to the cluster and for `vmta start`, before anything starts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const vmta = (env: Record<string, string | undefined>, ...args: string[]) => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'vmta-url-'));
  return spawnSync(process.execPath, [path.join(root, 'packages/cli/dist/main.js'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
    timeout: 30_000,
  });
};
const config = (text: string) => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'vmta-url-conf-')), 'vmta.conf');
  writeFileSync(file, `smtp-listener 127.0.0.1:0\n${text}`);
  return file;
};

describe('a REDIS_URL that cannot be read', () => {
  it.each([
    ['redis-sentinel://s1:26379', 'vmta: REDIS_URL: redis-sentinel:// needs the master name: redis-sentinel://h1:26379,h2:26379/mymaster'],
    ['redis://h?wait-replicas=two', 'vmta: REDIS_URL: wait-replicas must be a whole number, not "two"'],
    // Read by ioredis as a host name ("unreachable", exit 69) or refused with a bare TypeError (exit 70) before.
    ['garbage', 'vmta: REDIS_URL: "garbage" is not a Redis URL: give redis://[user:password@]host[:port][/db], rediss://... (TLS), redis-sentinel://hosts/master or a Unix socket path'],
    ['redis://:s3cret@h:99999', 'vmta: REDIS_URL: "redis://***@h:99999" is not a URL (a port past 65535, a space or a bad character?): give redis://[user:password@]host[:port][/db], rediss://... (TLS), redis-sentinel://hosts/master or a Unix socket path'],
  ])('vmta show queues with %s: one line, exit 2', (url, line) => {
    const r = vmta({ REDIS_URL: url }, 'show', 'queues');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`${line}\n`);
  });

  it('vmta start: one line, exit 2, before the listener or an embedded Redis starts', () => {
    const r = vmta({ REDIS_URL: 'redis-sentinel://s1/m?wait-timeout=0' }, 'start', '--config', config(''), '--http', 'off');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('vmta start: REDIS_URL: wait-timeout=0 would wait forever; give milliseconds\n');
    expect(r.stdout).not.toContain('"event":"listening"');
  });

  it('vmta start without REDIS_URL refuses redis-wait-replicas: the embedded redis-server has no replica', () => {
    const r = vmta({ REDIS_URL: undefined }, 'start', '--config', config('redis-wait-replicas 1\n'), '--http', 'off');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^vmta start: redis-wait-replicas 1: the embedded redis-server \(no REDIS_URL\) has no replicas.*\n$/);
    expect(r.stdout).not.toContain('"event":"embedded-redis"');
  });
});
