import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  findRedisServer,
  RedisServerNotFound,
  RedisServerStartError,
  startRedisServer,
  type RedisServerHandle,
} from './index.js';
import { isAlive } from './testing/index.js';

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

const root = mkdtempSync(join(tmpdir(), 'vmta-redis-server-test-'));
let n = 0;
const freshDir = (): string => join(root, `d${n++}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('findRedisServer / RedisServerNotFound', () => {
  it('returns null for a PATH without redis-server', () => {
    expect(findRedisServer(join(root, 'nothing-here'))).toBeNull();
  });

  it('fails with REDIS_SERVER_NOT_FOUND when redis-server is not on PATH', async () => {
    const saved = process.env['PATH'];
    process.env['PATH'] = join(root, 'nothing-here');
    try {
      const err = await startRedisServer({ dir: freshDir() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RedisServerNotFound);
      expect((err as RedisServerNotFound).code).toBe('REDIS_SERVER_NOT_FOUND');
      expect((err as Error).message).toMatch(/install/i);
    } finally {
      process.env['PATH'] = saved;
    }
  });
});

describe.skipIf(!findRedisServer())('startRedisServer (needs redis-server on PATH)', () => {
  const servers: RedisServerHandle[] = [];
  const start = async (opts: Parameters<typeof startRedisServer>[0]): Promise<RedisServerHandle> => {
    const s = await startRedisServer(opts);
    servers.push(s);
    return s;
  };
  afterEach(async () => {
    const all = servers.splice(0);
    await Promise.all(all.map((s) => s.kill()));
    for (const s of all) expect(isAlive(s.pid)).toBe(false);
  });

  it('starts on a free port, answers, and stops gracefully', async () => {
    const logs: string[] = [];
    const s = await start({ dir: freshDir(), logger: { info: (_o, msg) => logs.push(msg) } });
    expect(s.port).toBeGreaterThan(0);
    expect(s.port).not.toBe(6379);
    expect(s.url).toBe(`redis://127.0.0.1:${s.port}`);
    expect(isAlive(s.pid)).toBe(true);

    const c = new Redis(s.url);
    expect(await c.ping()).toBe('PONG');
    expect(await c.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    expect(await c.config('GET', 'save')).toEqual(['save', '']);
    expect(await c.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    c.disconnect();

    await s.stop();
    expect(s.isRunning()).toBe(false);
    expect(isAlive(s.pid)).toBe(false);
    expect((await s.exited).code).toBe(0);
    await s.stop(); // idempotent
    await s.kill();
    expect(logs).toEqual(['redis-server started', 'redis-server exited']);
  });

  it('restarts on the same port and dir with its AOF data, after stop and after SIGKILL', async () => {
    const dir = freshDir();
    const s1 = await start({ dir, appendOnly: true, appendFsync: 'always' });
    let c = new Redis(s1.url);
    expect(await c.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    await c.set('a', '1');
    c.disconnect();
    await s1.stop();

    const s2 = await start({ dir, port: s1.port, appendOnly: true, appendFsync: 'always' });
    expect(s2.url).toBe(s1.url);
    c = new Redis(s2.url);
    expect(await c.get('a')).toBe('1');
    await c.set('b', '2');
    c.disconnect();
    await s2.kill();
    expect(isAlive(s2.pid)).toBe(false);

    const s3 = await start({ dir, port: s1.port, appendOnly: true });
    c = new Redis(s3.url);
    expect(await c.mget('a', 'b')).toEqual(['1', '2']);
    c.disconnect();
  });

  it('reports a failed start with the tail of the log', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const err = await startRedisServer({ dir: freshDir(), port }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RedisServerStartError);
      expect((err as Error).message).toMatch(/exited during startup/);
      expect((err as Error).message).toMatch(/address already in use/i);
    } finally {
      blocker.close();
    }

    const bad = await startRedisServer({ dir: freshDir(), extraArgs: ['--no-such-directive', 'x'] }).catch(
      (e: unknown) => e,
    );
    expect(bad).toBeInstanceOf(RedisServerStartError);
    expect((bad as RedisServerStartError).logTail).toMatch(/no-such-directive/i);
  });

  it('dies with the process that started it, even on SIGKILL', async () => {
    const modUrl = pathToFileURL(fileURLToPath(new URL('../dist/redis-server.js', import.meta.url))).href;
    const script = `
      const { startRedisServer } = await import(${JSON.stringify(modUrl)});
      const s = await startRedisServer({ dir: ${JSON.stringify(freshDir())} });
      process.stdout.write(String(s.pid) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      parent.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(Number(out.trim()));
      });
      parent.once('exit', (code) => reject(new Error(`child exited early (${code}); is packages/queue built?`)));
    });
    try {
      expect(isAlive(pid)).toBe(true);
      parent.kill('SIGKILL');
      expect(await waitUntil(() => !isAlive(pid), 5000)).toBe(true);
    } finally {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL'); // don't leak it if the watchdog failed
    }
  });
});
