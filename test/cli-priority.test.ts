/**
 * CPU priority of `vmta start`: a --role delivery process runs at nice 19 unless --nice says
 * otherwise (every one of its threads, read back from /proc), listeners keep the priority they
 * were started with, and a bad --nice is a usage error.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNice } from '@vmta/cli';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const main = path.join(root, 'packages/cli/dist/main.js');
const linux = existsSync('/proc/self/task');
/** The priority the test runs at; children start with it (CI may itself run niced). */
const base = getPriority();
const niceOf = (n: number) => Math.max(base, n);

/** nice of every thread of a process: field 19 of /proc/PID/task/TID/stat (after the "(comm)" field). */
function threadNices(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[16]);
  });
}

describe('parseNice', () => {
  it.each([
    ['0', 0],
    ['10', 10],
    ['19', 19],
    ['20', undefined],
    ['-5', undefined],
    ['ten', undefined],
    ['1.5', undefined],
    ['', undefined],
  ])('%j → %j', (text, want) => {
    expect(parseNice(text)).toBe(want);
  });
});

describe('vmta start --nice', { timeout: 60_000 }, () => {
  let t: TestRedis;
  let dir: string;
  let conf: string;
  let env: NodeJS.ProcessEnv;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    t = await getTestRedis();
    dir = mkdtempSync(path.join(tmpdir(), 'vmta-nice-'));
    conf = path.join(dir, 'vmta.conf');
    writeFileSync(
      conf,
      ['host-name mx.nice.example', 'smtp-listener 127.0.0.1:0', '<virtual-mta mta1>', '  smtp-source-host 127.0.0.1 mta1.nice.example', '</virtual-mta>', ''].join('\n'),
    );
    env = { ...process.env, REDIS_URL: t.url, VMTA_PREFIX: t.prefix.slice(0, -1) };
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await t?.cleanup();
  });

  /** Starts `vmta start ARGS` and resolves with its pid and log events once it logged "started". */
  const start = (...args: string[]) =>
    new Promise<{ pid: number; events: Array<Record<string, unknown>> }>((resolve, reject) => {
      const child = spawn(process.execPath, [main, 'start', '--config', conf, '--data-dir', path.join(dir, 'data'), ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      const events: Array<Record<string, unknown>> = [];
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const ev = JSON.parse(line) as Record<string, unknown>;
        events.push(ev);
        if (ev.event === 'started') resolve({ pid: child.pid!, events });
      });
      child.once('exit', (code) => reject(new Error(`vmta start exited with ${code}`)));
    });

  it.runIf(linux)('a delivery process lowers every one of its threads to nice 19 by default', async () => {
    const { pid, events } = await start('--role', 'delivery');
    const nices = threadNices(pid);
    expect(nices.length).toBeGreaterThan(1);
    expect(new Set(nices)).toEqual(new Set([niceOf(19)]));
    if (base < 19) expect(events.find((e) => e.event === 'priority')).toMatchObject({ nice: 19, threads: expect.any(Number) });
  });

  it.runIf(linux)('--nice sets another value, and --nice 0 leaves delivery at the priority it was started with', async () => {
    const five = await start('--role', 'delivery', '--nice', '5');
    expect(new Set(threadNices(five.pid))).toEqual(new Set([niceOf(5)]));
    const zero = await start('--role', 'delivery', '--nice', '0');
    expect(new Set(threadNices(zero.pid))).toEqual(new Set([base]));
    expect(zero.events.some((e) => e.event === 'priority')).toBe(false);
  });

  it.runIf(linux)('a listener keeps its priority', async () => {
    const { pid } = await start('--role', 'listener');
    expect(new Set(threadNices(pid))).toEqual(new Set([base]));
  });

  it('a --nice outside 0..19 is a usage error (exit 2) that names the option', () => {
    const r = spawnSync(process.execPath, [main, 'start', '--config', conf, '--role', 'delivery', '--nice', '25'], { cwd: dir, env, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--nice must be a whole number from 0 to 19');
  });
});
