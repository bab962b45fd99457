/** The /suppressions routes over a real HTTP server and Redis: access levels, add, entries, export, remove. */
import { loadConfigText } from '@vmta/config';
import { createRedis, SuppressionStore } from '@vmta/queue';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpManagement, type RunningHttpManagement } from './index.js';

describe('/suppressions', () => {
  let t: TestRedis;
  let redis: ReturnType<typeof createRedis>;
  let store: SuppressionStore;
  const servers: RunningHttpManagement[] = [];

  async function serve(level: string) {
    const prefix = t.prefix.slice(0, -1);
    const s = await startHttpManagement({ config: loadConfigText(`http-access 127.0.0.1 ${level}`), redisUrl: t.url, prefix, port: 0, host: '127.0.0.1' });
    servers.push(s);
    return (p: string, method = 'GET') => fetch(`http://127.0.0.1:${s.port}${p}`, { method, headers: method === 'GET' ? {} : { 'x-vmta-request': '1' } });
  }

  beforeAll(async () => {
    t = await getTestRedis();
    redis = createRedis(t.url, 'cli');
    store = new SuppressionStore(redis, t.prefix.slice(0, -1));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    redis.disconnect();
    await t.cleanup();
  });

  it('serves the same store over HTTP with operator access for changes and monitor for counts', async () => {
    const operator = await serve('operator');
    const monitor = await serve('monitor');
    const add = await operator('/suppressions/add?tenant=source:feeder&address=h1@http.example&address=h2@http.example&reason=manual', 'POST');
    expect(add.status).toBe(200);
    expect(await add.json()).toEqual({ tenant: 'source:feeder', requested: 2, changed: 2 });
    expect(await store.lookup('source:feeder', 'h1@http.example')).toBeDefined();

    expect((await monitor('/suppressions/add?address=x@http.example', 'POST')).status).toBe(403);
    expect((await monitor('/suppressions/entries?tenant=source:feeder')).status).toBe(403);
    const counts = (await (await monitor('/suppressions')).json()) as { stores: Array<{ tenant: string; entries: number }> };
    expect(counts.stores).toContainEqual({ tenant: 'source:feeder', entries: 2 });

    const entries = (await (await operator('/suppressions/entries?tenant=source:feeder')).json()) as { entries: Array<{ address: string }> };
    expect(entries.entries.map((e) => e.address)).toEqual(['h1@http.example', 'h2@http.example']);
    // Counts by the shared rule (query-count.ts): a bad limit is a 400 naming it, not a silent 100.
    expect((await (await operator('/suppressions/entries?tenant=source:feeder&limit=1')).json()) as { entries: unknown[] }).toMatchObject({ entries: [{ address: 'h1@http.example' }] });
    for (const bad of ['x', '-1', '2.5']) {
      const r = await operator(`/suppressions/entries?tenant=source:feeder&limit=${bad}`);
      expect([r.status, ((await r.json()) as { message: string }).message]).toEqual([400, expect.stringMatching(/^limit: a whole number from 1 to 10000/)]);
    }
    const csv = await (await operator('/suppressions/export?tenant=source:feeder')).text();
    expect(csv.split('\n')[0]).toBe('address,reason,added,expires,queue,reply');
    expect(csv.trim().split('\n')).toHaveLength(3);

    expect((await operator('/suppressions/add?address=bad', 'POST')).status).toBe(400);
    const rm = await operator('/suppressions/remove?tenant=source:feeder&address=h1@http.example', 'POST');
    expect(await rm.json()).toEqual({ tenant: 'source:feeder', requested: 1, changed: 1 });
    expect(await store.lookup('source:feeder', 'h1@http.example')).toBeUndefined();
  });

  it('answers HEAD on /suppressions/export with the headers GET sends, without reading the store', async () => {
    const operator = await serve('operator');
    for (const tenant of ['source:head', 'source:get']) expect((await operator(`/suppressions/add?tenant=${tenant}&address=a@head.example&address=b@head.example`, 'POST')).status).toBe(200);
    // Every command Redis runs, as it runs it: the export reads the store with HSCAN.
    const monitor = await redis.monitor();
    const scanned: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'hscan') scanned.push(args[1]!);
    });
    try {
      const head = await operator('/suppressions/export?tenant=source:head', 'HEAD');
      expect([head.status, head.headers.get('content-type'), await head.text()]).toEqual([200, 'text/csv; charset=utf-8', '']);
      const get = await operator('/suppressions/export?tenant=source:get');
      expect((await get.text()).trim().split('\n')).toHaveLength(3);
      // Redis reports commands in the order it ran them: once GET's scan is seen, a scan by HEAD would have been.
      await expect.poll(() => scanned.some((k) => k.includes('{s:source:get}'))).toBe(true);
      expect(scanned.filter((k) => k.includes('{s:source:head}'))).toEqual([]);
    } finally {
      monitor.disconnect();
    }
  });
});
