import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { canStartPrivateRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { alive } from './support/alive.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe.skipIf(!canStartPrivateRedis())('vmta start without REDIS_URL', () => {
  it('starts a private redis-server with AOF under the data dir, says so, and stops it on SIGTERM', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-start-'));
    const conf = path.join(dir, 'vmta.conf');
    writeFileSync(conf, 'host-name mta.example.test\n<virtual-mta mta1>\n  smtp-source-host 127.0.0.1 mta1.example.test\n</virtual-mta>\n');
    const env = { ...process.env };
    delete env.REDIS_URL;
    const child = spawn(process.execPath, [path.join(root, 'packages/cli/dist/main.js'), 'start', '--role', 'listener', '--config', conf, '--data-dir', path.join(dir, 'data')], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => out, { timeout: 20_000 }).toContain('"event":"embedded-redis"');
      const line = JSON.parse(out.split('\n').find((l) => l.includes('"event":"embedded-redis"'))!) as { url: string; msg: string; pid?: number };
      expect(line.msg).toMatch(/no REDIS_URL set/);
      expect(existsSync(path.join(dir, 'data', 'redis'))).toBe(true);
      await expect.poll(() => existsSync(path.join(dir, 'data', 'redis', 'appendonlydir')), { timeout: 10_000 }).toBe(true);
      const redisPid = Number(/"redisPid":(\d+)/.exec(out)?.[1]);
      expect(redisPid).toBeGreaterThan(0);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await expect.poll(() => alive(redisPid), { timeout: 15_000 }).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
