/** GET /disabled-sources, POST /sources/IP/disable|enable and the /metrics gauges, over a real server and Redis. */
import { loadConfigText } from '@vmta/config';
import { DisabledSources } from '@vmta/queue';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpManagement, type RunningHttpManagement } from '../index.js';

describe('source IP routes', () => {
  let t: TestRedis;
  let redis: Redis;
  let server: RunningHttpManagement;
  let sources: DisabledSources;
  const lines: Array<Record<string, unknown>> = [];
  const call = (path: string, method = 'GET') => fetch(`http://127.0.0.1:${server.port}${path}`, { method, headers: method === 'GET' ? {} : { 'x-vmta-request': '1' } });

  beforeAll(async () => {
    t = await getTestRedis();
    redis = new Redis(t.url);
    const prefix = t.prefix.slice(0, -1);
    sources = new DisabledSources(redis, prefix);
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const config = loadConfigText(['host-name mta.example.com', 'http-access 127.0.0.1 operator', '<domain example.com>', '  disabled-source-ip-notify ops@notice.test', '</domain>'].join('\n'));
    server = await startHttpManagement({ config, redisUrl: t.url, prefix, port: 0, host: '127.0.0.1', logger: pino(stream) });
  });
  afterAll(async () => {
    await server.close();
    await t.cleanup();
    redis.disconnect();
  });

  it('disables a source for a queue, lists it, counts it in /metrics, and enables it again, each change logged', async () => {
    const path = `/sources/127.0.0.2/disable?queue=${encodeURIComponent('example.com/mta1')}`;
    const res = await call(path, 'POST');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ip: '127.0.0.2', queue: 'example.com/mta1', changed: true });
    await sources.disable({ ip: '192.0.2.7', queue: '*', reason: '421 blocked', rule: 'p.conf:3', since: 1_000, until: Date.now() + 60_000 });
    const rows = (await (await call('/disabled-sources')).json()) as Array<Record<string, unknown>>;
    expect(rows).toEqual([
      { ip: '192.0.2.7', queue: '*', reason: '421 blocked', rule: 'p.conf:3', since: new Date(1_000).toISOString(), until: expect.any(String) },
      { ip: '127.0.0.2', queue: 'example.com/mta1', reason: 'disabled by the operator', rule: '', since: expect.any(String) },
    ]);
    const metrics = await (await call('/metrics')).text();
    expect(metrics).toMatch(/^vmta_disabled_sources 2$/m);
    expect(metrics).toMatch(/^vmta_source_disabled\{ip="127\.0\.0\.2",queue="example\.com\/mta1"\} 1$/m);
    expect(await (await call(path.replace('disable', 'enable'), 'POST')).json()).toEqual({ ip: '127.0.0.2', queue: 'example.com/mta1', changed: true });
    expect((await sources.list(Date.now())).map((e) => e.ip)).toEqual(['192.0.2.7']);
    expect(lines.filter((l) => l.by === 'operator').map((l) => l.event)).toEqual(['source-disabled', 'source-enabled']);
    // The running configuration's disabled-source-ip-notify is told of each change, once.
    expect(lines.filter((l) => l.event === 'source-notice').map((l) => [l.change, l.to])).toEqual([
      ['disabled', 'ops@notice.test'],
      ['enabled', 'ops@notice.test'],
    ]);
  });

  it('answers 400 for what is not an IP or a plain queue', async () => {
    expect((await call('/sources/nope/disable', 'POST')).status).toBe(400);
    expect((await call(`/sources/127.0.0.2/disable?queue=${encodeURIComponent('*/mta1')}`, 'POST')).status).toBe(400);
  });
});
