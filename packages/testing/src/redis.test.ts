import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  canStartPrivateRedis,
  cleanupPrefix,
  getTestRedis,
  getTestRedisContext,
  privateRedisSkipReason,
  startPrivateRedis,
  type PrivateRedis,
} from './redis.js';
import { isAlive } from '@vmta/redis-server/testing';

const clients: Redis[] = [];
function connect(url: string, keyPrefix?: string): Redis {
  const c = new Redis(url, { keyPrefix, maxRetriesPerRequest: 1 });
  clients.push(c);
  return c;
}
afterAll(() => {
  for (const c of clients) c.disconnect();
});

describe('getTestRedis', () => {
  it('gives a working connection and a fresh prefix each time', async () => {
    const a = await getTestRedis();
    const b = await getTestRedis();
    expect(a.prefix).toMatch(/^t:[0-9a-f]+:[0-9a-f]+:$/);
    expect(b.prefix).not.toBe(a.prefix);
    expect(b.url).toBe(a.url);

    const ca = connect(a.url, a.prefix);
    const cb = connect(b.url, b.prefix);
    await ca.set('k', 'from-a');
    await cb.set('k', 'from-b');
    expect(await ca.get('k')).toBe('from-a');
    expect(await cb.get('k')).toBe('from-b');

    await a.cleanup();
    expect(await ca.get('k')).toBeNull();
    expect(await cb.get('k')).toBe('from-b');
    await b.cleanup();
    expect(await cb.exists('k')).toBe(0);
  });

  it('uses REDIS_URL when set, otherwise a server of its own (never the default 6379)', async () => {
    const ctx = await getTestRedisContext();
    const { url } = await getTestRedis();
    if (process.env['REDIS_URL']) {
      expect(ctx.source).toBe('REDIS_URL');
      expect(url).toBe(process.env['REDIS_URL']);
    } else {
      expect(ctx.source === 'redis-server' || ctx.source === 'testcontainers').toBe(true);
      expect(new URL(url).port).not.toBe('6379');
    }
  });
});

describe('cleanupPrefix', () => {
  it('deletes only keys under the prefix, taking glob characters literally', async () => {
    const { url, prefix, cleanup } = await getTestRedis();
    const c = connect(url);
    const many = Array.from({ length: 2500 }, (_, i) => [`${prefix}bulk:${i}`, 'x']).flat();
    await c.mset(...many);
    await c.set(`${prefix}a*b:1`, '1');
    await c.set(`${prefix}aXb:1`, '1');
    await c.set(`${prefix}keep`, '1');

    expect(await cleanupPrefix(url, `${prefix}a*b:`)).toBe(1);
    expect(await c.exists(`${prefix}aXb:1`)).toBe(1);
    expect(await cleanupPrefix(url, `${prefix}bulk:`)).toBe(2500);
    expect(await c.exists(`${prefix}keep`)).toBe(1);

    await cleanup();
    const [, left] = await c.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 10_000);
    expect(left).toEqual([]);
  });

  it('refuses an empty prefix', async () => {
    const { url } = await getTestRedis();
    await expect(cleanupPrefix(url, '')).rejects.toThrow(/empty prefix/);
  });
});

describe.skipIf(!canStartPrivateRedis())(
  `startPrivateRedis${canStartPrivateRedis() ? '' : ` (skipped: ${privateRedisSkipReason()})`}`,
  () => {
    const started: PrivateRedis[] = [];
    const pids: number[] = [];
    async function start(): Promise<PrivateRedis> {
      const r = await startPrivateRedis();
      started.push(r);
      pids.push(r.pid);
      return r;
    }
    afterEach(async () => {
      await Promise.all(started.splice(0).map((r) => r.dispose()));
      for (const pid of pids.splice(0)) expect(isAlive(pid), `redis-server pid ${pid} survived`).toBe(false);
    });

    it('stops gracefully and restarts on the same port with its data (AOF)', async () => {
      const r = await start();
      const shared = await getTestRedis();
      expect(r.url).not.toBe(shared.url);
      expect(isAlive(r.pid)).toBe(true);

      const c = connect(r.url);
      await c.set('survives', 'stop');
      c.disconnect();

      const firstPid = r.pid;
      await r.stop();
      expect(r.isRunning()).toBe(false);
      expect(isAlive(firstPid)).toBe(false);

      await r.restart();
      pids.push(r.pid);
      expect(r.pid).not.toBe(firstPid);
      expect(r.isRunning()).toBe(true);
      const c2 = connect(r.url);
      expect(await c2.get('survives')).toBe('stop');
      c2.disconnect();
    });

    it('can be killed (SIGKILL) and recovers acknowledged writes on restart', async () => {
      const r = await start();
      const c = connect(r.url);
      for (let i = 0; i < 100; i++) await c.rpush('list', String(i));
      c.disconnect();

      const firstPid = r.pid;
      await r.kill();
      expect(isAlive(firstPid)).toBe(false);

      await r.restart();
      pids.push(r.pid);
      const c2 = connect(r.url);
      expect(await c2.llen('list')).toBe(100);
      expect(await c2.lindex('list', 99)).toBe('99');
      c2.disconnect();
    });

    it('restart() on a running server stops it first; dispose() removes its dir', async () => {
      const r = await start();
      const firstPid = r.pid;
      await r.restart();
      pids.push(r.pid);
      expect(isAlive(firstPid)).toBe(false);
      expect(isAlive(r.pid)).toBe(true);
      const c = connect(r.url);
      expect(await c.ping()).toBe('PONG');
      c.disconnect();

      await r.dispose();
      started.splice(started.indexOf(r), 1);
      expect(isAlive(r.pid)).toBe(false);
      expect(existsSync(r.dir)).toBe(false);
    });

    it('private servers are isolated from each other', async () => {
      const [a, b] = await Promise.all([start(), start()]);
      expect(a.port).not.toBe(b.port);
      const ca = connect(a.url);
      const cb = connect(b.url);
      await ca.set('only-in-a', '1');
      expect(await cb.exists('only-in-a')).toBe(0);
      ca.disconnect();
      cb.disconnect();
    });
  },
);
