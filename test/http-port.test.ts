/**
 * Several `vmta start` processes on one host with one configuration: only one can have
 * http-mgmt-port. The others keep running and say how to fix it; `--http off` and
 * `--http ADDRESS:PORT` choose per process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const main = path.join(root, 'packages/cli/dist/main.js');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Started {
  child: ChildProcess;
  events: Array<Record<string, unknown>>;
}

describe('management HTTP per process', { timeout: 60_000 }, () => {
  let t: TestRedis;
  let conf: string;
  let httpPort: number;
  const children: ChildProcess[] = [];

  /** Starts `vmta start --role listener` and resolves with its log lines once it logged `started`. */
  function start(...extra: string[]): Promise<Started> {
    const child = spawn(process.execPath, [main, 'start', '--role', 'listener', '--config', conf, ...extra], {
      cwd: root,
      env: { ...process.env, REDIS_URL: t.url, VMTA_PREFIX: t.prefix.slice(0, -1) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const events: Array<Record<string, unknown>> = [];
    return new Promise((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const ev = JSON.parse(line) as Record<string, unknown>;
        events.push(ev);
        if (ev.event === 'started') resolve({ child, events });
      });
      child.once('exit', (code) => reject(new Error(`vmta exited with ${code}`)));
    });
  }

  beforeAll(async () => {
    t = await getTestRedis();
    httpPort = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-http-port-'));
    conf = path.join(dir, 'vmta.conf');
    writeFileSync(conf, ['host-name mx.http.example', 'smtp-listener 127.0.0.1:0', `http-mgmt-port ${httpPort}`, 'http-access 127.0.0.1 monitor'].join('\n'));
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await t?.cleanup();
  });

  it('keeps a second process running without the taken port and tells how to fix it; --http chooses per process', async () => {
    await start();
    expect((await fetch(`http://127.0.0.1:${httpPort}/status`)).status).toBe(200);

    const second = await start();
    const failed = second.events.find((e) => e.event === 'http-start-failed');
    expect(failed?.fix).toMatch(new RegExp(`port ${httpPort} is taken .*--http off.*--http PORT`));
    expect(second.child.exitCode).toBeNull();

    const off = await start('--http', 'off');
    expect(off.events.find((e) => e.event === 'http-start-failed')).toBeUndefined();

    const own = await freePort();
    const third = await start('--http', `127.0.0.1:${own}`);
    expect(third.events.find((e) => e.event === 'http-start-failed')).toBeUndefined();
    expect((await fetch(`http://127.0.0.1:${own}/status`)).status).toBe(200);
  });

  it('refuses a malformed --http with exit 2', async () => {
    const child = spawn(process.execPath, [main, 'start', '--config', conf, '--http', 'everywhere'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/--http must be off, PORT or ADDRESS:PORT/);
  });
});
