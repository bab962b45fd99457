import { loadConfigText, type VmtaConfig } from '@vmta/config';
import { MessageStore, QueueOps, type NewMessage } from '@vmta/queue';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpManagement, type RunningHttpManagement } from './index.js';

function message(recipients: string[]): NewMessage {
  return {
    mailFrom: 'sender@example.org',
    recipients: recipients.map((address) => ({ address, domain: address.split('@')[1]! })),
    body: Buffer.from('Subject: t\r\n\r\nhello\r\n'),
    vmta: 'mta1',
    source: { ip: '127.0.0.9', listener: '127.0.0.1:2525' },
    receivedAt: Date.now(),
  };
}

function config(...lines: string[]): VmtaConfig {
  return loadConfigText(['host-name mta.example.com', ...lines].join('\n'));
}

/** A pino logger whose lines the test can read. */
function captureLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino(stream), lines };
}

const PROM_LINE = /^(# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped)|[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? -?[0-9.eE+-]+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (NaN|[+-]Inf))$/;

describe('management HTTP server', () => {
  let t: TestRedis;
  let redis: Redis;
  let store: MessageStore;
  let ops: QueueOps;
  let prefix: string;
  const servers: RunningHttpManagement[] = [];

  async function serve(cfg: VmtaConfig, logger?: pino.Logger, onReload?: () => Promise<{ ok: boolean; errors?: string[] }>) {
    const s = await startHttpManagement({ config: cfg, redisUrl: t.url, prefix, port: 0, host: '127.0.0.1', logger, onReload });
    servers.push(s);
    return (path: string, method = 'GET') => fetch(`http://127.0.0.1:${s.port}${path}`, { method });
  }

  beforeAll(async () => {
    t = await getTestRedis();
    prefix = t.prefix.slice(0, -1);
    redis = new Redis(t.url);
    store = new MessageStore(redis, { prefix });
    ops = new QueueOps(redis, prefix);
    await store.enqueue(message(['a@big.example', 'b@big.example', 'c@big.example']));
    await store.enqueue(message(['x@small.example']));
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await store.dispatcher.close();
    await t.cleanup();
    redis.disconnect();
  });

  it('lists the queues with the fields of `vmta show queues --json`, most queued first', async () => {
    const get = await serve(config('http-access 127.0.0.1 monitor'));
    const res = await get('/queues');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const rows = (await res.json()) as Array<Record<string, unknown>>;
    expect(rows.map((r) => r.queue)).toEqual(['big.example/mta1', 'small.example/mta1']);
    expect(rows[0]).toMatchObject({ queue: 'big.example/mta1', domain: 'big.example', vmta: 'mta1', queued: 3, inflight: 0, deferred: 0, mode: 'normal', paused: false, delivered: 0, bounced: 0 });
    for (const field of ['queue', 'domain', 'vmta', 'queued', 'inflight', 'deferred', 'mode', 'paused', 'oldestAgeSeconds', 'delivered', 'bounced']) {
      expect(rows[1]).toHaveProperty(field);
    }
  });

  it('reports version, uptime, cluster totals and the number of queues on /status', async () => {
    const get = await serve(config('http-access 127.0.0.1 monitor'));
    const body = (await (await get('/status')).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ version: '0.1.0', queues: 2, totals: { received: 4, delivered: 0, bounced: 0, deferred: 0 } });
    expect(typeof body.uptimeSeconds).toBe('number');
  });

  it('serves Prometheus text with the queue gauges and the cluster totals', async () => {
    const get = await serve(config('http-access 127.0.0.0/8 monitor'));
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    const lines = text.split('\n').filter((l) => l !== '');
    for (const line of lines) expect(line).toMatch(PROM_LINE);
    expect(lines).toContain('# TYPE vmta_queue_recipients gauge');
    expect(lines).toContain('vmta_queue_recipients{queue="big.example/mta1",domain="big.example",vmta="mta1"} 3');
    expect(lines).toContain('vmta_queue_inflight{queue="small.example/mta1",domain="small.example",vmta="mta1"} 0');
    expect(lines.some((l) => l.startsWith('vmta_queue_oldest_age_seconds{queue="big.example/mta1"'))).toBe(true);
    expect(lines).toContain('vmta_queue_delivered_total{queue="big.example/mta1"} 0');
    expect(lines).toContain('vmta_queue_bounced_total{queue="big.example/mta1"} 0');
    expect(lines).toContain('vmta_received_total 4');
    for (const name of ['vmta_delivered_total', 'vmta_bounced_total', 'vmta_deferred_total']) expect(lines).toContain(`${name} 0`);
  });

  it('lets a monitor read but not pause a queue, and logs the denial', async () => {
    const { logger, lines } = captureLogger();
    const call = await serve(config('http-access 127.0.0.1 monitor'), logger);
    expect((await call('/queues')).status).toBe(200);
    const res = await call(`/queues/${encodeURIComponent('big.example/mta1')}/pause`, 'POST');
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'forbidden' });
    expect((await ops.state('big.example/mta1')).mode).toBe('normal');
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, event: 'http-denied', ip: '127.0.0.1', path: '/queues/big.example%2Fmta1/pause', accessLevel: 'monitor' }));
  });

  it('lets an operator pause, retry and resume a queue, answering the new mode', async () => {
    const call = await serve(config('http-access 10.0.0.0/8 none', 'http-access 127.0.0.1 operator', 'http-access 0/0 monitor'));
    const path = (a: string) => `/queues/${encodeURIComponent('small.example/mta1')}/${a}`;
    const paused = await call(path('pause'), 'POST');
    expect(paused.status).toBe(200);
    expect(await paused.json()).toEqual({ queue: 'small.example/mta1', mode: 'paused' });
    expect((await ops.stats('small.example/mta1')).paused).toBe(true);
    expect(await (await call(path('resume'), 'POST')).json()).toEqual({ queue: 'small.example/mta1', mode: 'normal' });
    await ops.enterRetry('small.example/mta1', Date.now() + 60_000);
    expect(await (await call(path('retry'), 'POST')).json()).toEqual({ queue: 'small.example/mta1', mode: 'normal' });
    expect((await call('/queues/nopattern/pause', 'POST')).status).toBe(400);
    expect((await call('/reload', 'POST')).status).toBe(403);
  });

  it('takes the first matching http-access line from the top', async () => {
    const call = await serve(config('http-access 127.0.0.1 none', 'http-access 127.0.0.0/8 admin'));
    expect((await call('/status')).status).toBe(403);
  });

  it('forbids everything when there is no http-access at all', async () => {
    const call = await serve(config());
    for (const [path, method] of [['/status', 'GET'], ['/queues', 'GET'], ['/metrics', 'GET'], ['/nowhere', 'GET'], ['/reload', 'POST'], [`/queues/${encodeURIComponent('big.example/mta1')}/pause`, 'POST']] as const) {
      const res = await call(path, method);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(await res.json()).toEqual({ error: 'forbidden' });
    }
  });

  it('answers 404 for an unknown path and 405 for a known path with another method', async () => {
    const call = await serve(config('http-access 127.0.0.1 admin'));
    expect((await call('/nowhere')).status).toBe(404);
    const wrong = await call('/queues', 'DELETE');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect((await call('/status', 'POST')).status).toBe(405);
  });

  it('reloads through onReload: 200 when it worked, 409 with the errors when not, 501 without it', async () => {
    let result: { ok: boolean; errors?: string[] } = { ok: true };
    const call = await serve(config('http-access 127.0.0.1 admin'), undefined, async () => result);
    expect((await call('/reload', 'POST')).status).toBe(200);
    result = { ok: false, errors: ['vmta.conf:3: unknown directive "x"'] };
    const failed = await call('/reload', 'POST');
    expect(failed.status).toBe(409);
    expect(await failed.json()).toEqual({ ok: false, errors: ['vmta.conf:3: unknown directive "x"'] });
    const without = await serve(config('http-access 127.0.0.1 admin'));
    expect((await without('/reload', 'POST')).status).toBe(501);
  });
});
