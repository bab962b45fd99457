import { request as httpRequest } from 'node:http';
import { loadConfigText, type VmtaConfig } from '@vmta/config';
import { ConnectionLimiter, Dispatcher, Keys, MessageStore, QueueOps, latencyBucket, registerProcess, REPORT_TOTALS } from '@vmta/queue';
import { testMessage as message } from '@vmta/queue/testing';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpManagement, type RunningHttpManagement } from './index.js';
import { queryFlag } from './routes/queues.js';

describe('query parameters', () => {
  it.each([
    [null, false],
    ['', true],
    ['1', true],
    ['true', true],
    ['YES', true],
    ['0', false],
    ['no', false],
  ])('dsn flag %j → %j', (raw, flag) => {
    expect(queryFlag(raw)).toBe(flag);
  });
});

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
    // A script's POST (any method but GET) carries X-Vmta-Request (Node's fetch sends no Origin).
    return (path: string, method = 'GET') => fetch(`http://127.0.0.1:${s.port}${path}`, { method, headers: method === 'GET' ? {} : { 'x-vmta-request': '1' } });
  }

  async function serveRaw(cfg: VmtaConfig) {
    const s = await startHttpManagement({ config: cfg, redisUrl: t.url, prefix, port: 0, host: '127.0.0.1' });
    servers.push(s);
    return { s, url: `http://127.0.0.1:${s.port}` };
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
    expect(lines).toContain('# TYPE vmta_queue_delivered_total counter');
    expect(lines).toContain('vmta_queue_delivered_total{queue="big.example/mta1",domain="big.example",vmta="mta1"} 0');
    expect(lines).toContain('vmta_queue_bounced_total{queue="big.example/mta1",domain="big.example",vmta="mta1"} 0');
    expect(lines).toContain('vmta_queue_paused{queue="big.example/mta1",domain="big.example",vmta="mta1"} 0');
    expect(lines).toContain('# TYPE vmta_received_total counter');
    expect(lines).toContain('vmta_received_total 4');
    for (const name of ['vmta_delivered_total', 'vmta_bounced_total', 'vmta_deferred_total']) expect(lines).toContain(`${name} 0`);
  });

  it('counts what the feedback loop and bounce processors took', async () => {
    const keys = new Keys(prefix);
    await redis.hset(keys.totals(), { [REPORT_TOTALS.fbl]: 3, [REPORT_TOTALS.unparsed]: 1 });
    try {
      const get = await serve(config('http-access 127.0.0.0/8 monitor'));
      const lines = (await (await get('/metrics')).text()).split('\n');
      expect(lines).toContain('# TYPE vmta_reports_total counter');
      expect(lines).toEqual(expect.arrayContaining(['vmta_reports_total{kind="fbl"} 3', 'vmta_reports_total{kind="bounce"} 0', 'vmta_reports_total{kind="unparsed"} 1']));
    } finally {
      await redis.hdel(keys.totals(), REPORT_TOTALS.fbl, REPORT_TOTALS.unparsed);
    }
  });

  it('serves the delivery latency histogram and the connections out per VMTA', async () => {
    const keys = new Keys(prefix);
    // The counters as the FINISH script leaves them: two delivered after 0.5 s, one after 120 s.
    await redis.hset(keys.deliveryLatency(), {
      [`mta1|${latencyBucket(0.5)}`]: 2,
      [`mta1|${latencyBucket(120)}`]: 1,
      // Written by older versions; the count is the sum of the buckets.
      'mta1|count': 99,
      'mta1|sum': 121,
    });
    const limiter = new ConnectionLimiter(redis, prefix);
    await limiter.acquire({ kind: 'vmta', vmta: 'mta1' }, 'metrics-test', Infinity, 60_000);
    try {
      const get = await serve(config('http-access 127.0.0.0/8 monitor', '<virtual-mta mta1>', '</virtual-mta>'));
      const lines = (await (await get('/metrics')).text()).split('\n').filter((l) => l !== '');
      for (const line of lines) expect(line).toMatch(PROM_LINE);
      expect(lines).toContain('# TYPE vmta_delivery_latency_seconds histogram');
      expect(lines).toContain('vmta_delivery_latency_seconds_bucket{vmta="mta1",le="1"} 2');
      expect(lines).toContain('vmta_delivery_latency_seconds_bucket{vmta="mta1",le="60"} 2');
      expect(lines).toContain('vmta_delivery_latency_seconds_bucket{vmta="mta1",le="300"} 3');
      expect(lines).toContain('vmta_delivery_latency_seconds_bucket{vmta="mta1",le="+Inf"} 3');
      expect(lines).toContain('vmta_delivery_latency_seconds_sum{vmta="mta1"} 121');
      expect(lines).toContain('vmta_delivery_latency_seconds_count{vmta="mta1"} 3');
      expect(lines).toContain('vmta_connections_out{vmta="mta1"} 1');
      expect(lines).toContain('vmta_connections_out{vmta="{default}"} 0');
    } finally {
      await limiter.release({ kind: 'vmta', vmta: 'mta1' }, 'metrics-test');
      await redis.del(keys.deliveryLatency());
    }
  });

  it('serves the event stream length and each webhook group\'s lag', async () => {
    const key = new Keys(prefix).accounting();
    await redis.del(key); // the r records of the messages set up above
    await redis.xgroup('CREATE', key, 'webhook:platform', '0', 'MKSTREAM');
    await redis.xadd(key, '*', 'type', 'd', 'rcpt', 'a@x.example');
    await redis.xadd(key, '*', 'type', 'b', 'rcpt', 'b@x.example');
    await redis.xreadgroup('GROUP', 'webhook:platform', 'c1', 'COUNT', 1, 'STREAMS', key, '>');
    try {
      const get = await serve(config('http-access 127.0.0.0/8 monitor'));
      const lines = (await (await get('/metrics')).text()).split('\n').filter((l) => l !== '');
      for (const line of lines) expect(line).toMatch(PROM_LINE);
      expect(lines).toContain('vmta_event_stream_length 2');
      expect(lines).toContain('vmta_webhook_pending{webhook="platform"} 1');
      expect(lines).toContain('vmta_webhook_unread{webhook="platform"} 1');
      expect(lines.some((l) => /^vmta_webhook_oldest_pending_age_seconds\{webhook="platform"\} \d/.test(l))).toBe(true);
    } finally {
      await redis.del(key);
    }
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

  it('lets an operator set backoff mode and back, and shows it in GET /queues and /metrics', async () => {
    const { logger, lines } = captureLogger();
    const call = await serve(config('http-access 127.0.0.1 operator'), logger);
    const path = (m: string) => `/queues/${encodeURIComponent('small.example/mta1')}/mode/${m}`;
    expect(await (await call(path('backoff'), 'POST')).json()).toEqual({ queue: 'small.example/mta1', mode: 'backoff' });
    const rows = (await (await call('/queues', 'GET')).json()) as Array<{ queue: string; mode: string; backoff?: { reason: string } }>;
    expect(rows.find((r) => r.queue === 'small.example/mta1')).toMatchObject({ mode: 'backoff', backoff: { reason: 'set by the operator', rule: '' } });
    const metrics = await (await call('/metrics', 'GET')).text();
    expect(metrics).toMatch(/vmta_queue_backoff\{queue="small\.example\/mta1",domain="small\.example",vmta="mta1"\} 1/);
    expect(await (await call(path('normal'), 'POST')).json()).toEqual({ queue: 'small.example/mta1', mode: 'normal' });
    expect((await call(`/queues/${encodeURIComponent('small.example/mta1')}/mode/paused`, 'POST')).status).toBe(404);
    expect(lines).toContainEqual(expect.objectContaining({ event: 'http-queue-mode', queue: 'small.example/mta1', mode: 'backoff', changed: true }));
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
    expect(wrong.headers.get('allow')).toBe('GET, HEAD');
    expect((await call('/status', 'POST')).status).toBe(405);
  });

  it('answers HEAD like GET, without the body, on the API, /metrics and the monitor page', async () => {
    const call = await serve(config('http-access 127.0.0.1 admin'));
    for (const path of ['/status', '/queues', '/metrics', '/']) {
      const get = await call(path);
      const head = await call(path, 'HEAD');
      expect(head.status, path).toBe(200);
      expect(head.headers.get('content-type'), path).toBe(get.headers.get('content-type'));
      expect(await head.text(), path).toBe('');
    }
    expect((await call('/nowhere', 'HEAD')).status).toBe(404);
  });

  it('adds per-minute rates and the registered processes to /status', async () => {
    const reg = await registerProcess(redis, { role: 'delivery', host: 'host-1', pid: 99, vmtas: ['mta1'], listeners: [] }, { prefix });
    try {
      const get = await serve(config('http-access 127.0.0.1 monitor'));
      const body = (await (await get('/status')).json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['perMinute', 'perMinute5', 'processes', 'queues', 'totals', 'uptimeSeconds', 'version', 'zstdReaders']);
      // Its record does not say it reads zstd (a version before that): listeners write deflate.
      expect(body.zstdReaders).toEqual({ allowed: false, notReading: [reg.id] });
      expect(body.perMinute).toEqual({ received: expect.any(Number), delivered: 0, bounced: 0, deferred: 0 });
      expect(body.perMinute5).toEqual({ received: expect.any(Number), delivered: 0, bounced: 0, deferred: 0 });
      expect(body.processes).toEqual([
        {
          id: reg.id,
          role: 'delivery',
          host: 'host-1',
          pid: 99,
          alive: true,
          startedAt: new Date(reg.info.startedAt).toISOString(),
          uptimeSeconds: expect.any(Number),
          lastSeen: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          vmtas: ['mta1'],
          listeners: [],
        },
      ]);
    } finally {
      await reg.deregister();
    }
  });

  it('lists the VMTAs and pools of its configuration on /vmtas, with their mail and serving processes', async () => {
    const reg = await registerProcess(redis, { role: 'all', host: 'host-2', pid: 98, vmtas: ['mta1'], listeners: ['127.0.0.1:25'] }, { prefix });
    try {
      const get = await serve(
        config(
          'http-access 127.0.0.1 monitor',
          '<virtual-mta mta1>',
          'smtp-source-host 127.0.0.2 mta1.example.com',
          '</virtual-mta>',
          '<virtual-mta mta2>',
          'smtp-source-host 127.0.0.3 mta2.example.com',
          '</virtual-mta>',
          '<virtual-mta-pool pool1>',
          'virtual-mta mta1',
          'virtual-mta mta2',
          '</virtual-mta-pool>',
        ),
      );
      const res = await get('/vmtas');
      expect(res.status).toBe(200);
      const rows = (await res.json()) as Array<Record<string, unknown>>;
      expect(rows).toEqual([
        { name: 'mta1', kind: 'vmta', members: [], sourceHosts: ['127.0.0.2 mta1.example.com'], queues: 2, queued: 4, inflight: 0, connectionsOut: 0, servedBy: [reg.id] },
        { name: 'mta2', kind: 'vmta', members: [], sourceHosts: ['127.0.0.3 mta2.example.com'], queues: 0, queued: 0, inflight: 0, connectionsOut: 0, servedBy: [] },
        {
          name: 'pool1',
          kind: 'pool',
          members: ['mta1', 'mta2'],
          sourceHosts: [
            '127.0.0.2 mta1.example.com',
            '127.0.0.3 mta2.example.com',
          ],
          queues: 2,
          queued: 4,
          inflight: 0,
          connectionsOut: 0,
          servedBy: [reg.id],
        },
      ]);
    } finally {
      await reg.deregister();
    }
  });

  it('serves the per-minute history oldest first, 60 minutes by default and a day at most', async () => {
    const get = await serve(config('http-access 127.0.0.1 monitor'));
    const body = (await (await get('/history')).json()) as { minutes: Array<{ t: string; received: number; delivered: number; bounced: number; deferred: number }> };
    expect(body.minutes).toHaveLength(60);
    const times = body.minutes.map((m) => Date.parse(m.t));
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(60_000);
    expect(times.at(-1)!).toBeLessThanOrEqual(Date.now());
    expect(body.minutes.reduce((n, m) => n + m.received, 0)).toBe(4);
    expect(Object.keys(body.minutes[0]!).sort()).toEqual(['bounced', 'deferred', 'delivered', 'received', 't']);
    expect(((await (await get('/history?minutes=5')).json()) as { minutes: unknown[] }).minutes).toHaveLength(5);
    expect(((await (await get('/history?minutes=100000')).json()) as { minutes: unknown[] }).minutes).toHaveLength(1440);
    expect((await get('/history?minutes=lots')).status).toBe(400);
    expect(await (await get('/history?minutes=5&minutes=6')).json()).toEqual({ error: 'bad-request', message: 'minutes: a whole number from 1 to 1440, given once (got 2 values)' });
  });

  it('lets an operator delete a queue: the request is queued for delivery processes, with or without DSN', async () => {
    const call = await serve(config('http-access 127.0.0.1 operator'));
    const dispatcher = new Dispatcher(redis, prefix);
    try {
      const path = (q: string, query = '') => `/queues/${encodeURIComponent(q)}/delete${query}`;
      const res = await call(path('big.example/mta1', '?dsn=1'), 'POST');
      expect(res.status).toBe(202);
      expect(await res.json()).toMatchObject({ queue: 'big.example/mta1', recipients: 3, dsn: true });
      expect(await (await call(path('small.example/mta1'), 'POST')).json()).toMatchObject({ queue: 'small.example/mta1', recipients: 1, dsn: false });
      const jobs = (await dispatcher.bull.getJobs(['waiting'])).filter((j) => j.data.kind === 'purge');
      expect(jobs.map((j) => [j.data.queue, j.data.dsn]).sort()).toEqual([
        ['big.example/mta1', true],
        ['small.example/mta1', false],
      ]);
      expect((await call(path('none.example/mta1'), 'POST')).status).toBe(404);
      expect((await call(path('*/mta1'), 'POST')).status).toBe(400);
      expect((await call(path('big.example/mta1'), 'GET')).status).toBe(405);
      // Nothing is deleted by the HTTP process itself.
      expect((await ops.stats('big.example/mta1')).queued).toBe(3);
    } finally {
      await dispatcher.close();
    }
    const monitor = await serve(config('http-access 127.0.0.1 monitor'));
    expect((await monitor(`/queues/${encodeURIComponent('big.example/mta1')}/delete`, 'POST')).status).toBe(403);
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

  describe('request guard', () => {
    const KEY = 'scripts-key-0123456789abcdef';
    const pausePath = `/queues/${encodeURIComponent('small.example/mta1')}/pause`;

    it('refuses a rebound Host name (DNS rebinding) and takes an IP literal, localhost and host-name', async () => {
      const { s } = await serveRaw(config('http-access 127.0.0.1 monitor'));
      const status = (host: string) =>
        new Promise<number>((resolve, reject) => {
          const req = httpRequest({ host: '127.0.0.1', port: s.port, path: '/status', headers: { host } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
          req.end();
        });
      expect(await status('rebind.attacker.example')).toBe(403);
      expect(await status(`127.0.0.1:${s.port}`)).toBe(200);
      expect(await status(`localhost:${s.port}`)).toBe(200);
      expect(await status('mta.example.com')).toBe(200);
    });

    it('refuses a cross-origin POST and a POST with neither Origin nor X-Vmta-Request, and takes a same-origin one', async () => {
      const { url } = await serveRaw(config('http-access 127.0.0.1 operator'));
      expect((await fetch(`${url}${pausePath}`, { method: 'POST', headers: { origin: 'http://evil.example' } })).status).toBe(403);
      expect((await fetch(`${url}${pausePath}`, { method: 'POST' })).status).toBe(403);
      expect((await fetch(`${url}/reload`, { method: 'POST', headers: { origin: 'null' } })).status).toBe(403);
      expect((await fetch(`${url}${pausePath}`, { method: 'POST', headers: { origin: url } })).status).toBe(200);
      expect((await fetch(`${url}${pausePath.replace('pause', 'resume')}`, { method: 'POST', headers: { 'x-vmta-request': '1' } })).status).toBe(200);
    });

    it('gives a script with an http-api-key its level from an address http-access does not know, and 401 for a wrong key', async () => {
      const { url } = await serveRaw(config('http-access 0/0 none', `http-api-key ${KEY} operator`));
      expect((await fetch(`${url}/status`)).status).toBe(403);
      expect((await fetch(`${url}/status`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
      expect((await fetch(`${url}${pausePath}`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
      expect((await fetch(`${url}/reload`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` } })).status).toBe(403);
      expect((await fetch(`${url}/status`, { headers: { authorization: 'Bearer wrong-key-0123456789abcdefgh' } })).status).toBe(401);
      await fetch(`${url}${pausePath.replace('pause', 'resume')}`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` } });
    });

    it('applies an http-access rule removed by a reload at once', async () => {
      const { s, url } = await serveRaw(config('http-access 127.0.0.1 monitor'));
      expect((await fetch(`${url}/status`)).status).toBe(200);
      s.reload(config('http-access 0/0 none'));
      expect((await fetch(`${url}/status`)).status).toBe(403);
    });
  });
});
