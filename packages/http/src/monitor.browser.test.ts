/**
 * The web monitor in a real browser: Debian's headless Chromium driven by playwright-core,
 * against a real management server on loopback and real Redis.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigText, type VmtaConfig } from '@vmta/config';
import { Keys, MessageStore, QueueOps, ReportStore, SuppressionStore } from '@vmta/queue';
import { testMessage as message } from '@vmta/queue/testing';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { Redis } from 'ioredis';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpManagement, type RunningHttpManagement } from './index.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// Set it to look at the page: the tests save screenshots there (never committed).
const SCREENSHOTS = process.env.VMTA_SCREENSHOT_DIR;

function config(...lines: string[]): VmtaConfig {
  return loadConfigText(['host-name mta.example.com', ...lines].join('\n'));
}

const row = (page: Page, queue: string) => page.locator(`#queues-body tr[data-queue="${queue}"]`);

/** The texts of a queue row's cells: queue, mode, queued, in flight, deferred, oldest, delivered, bounced[, actions]. */
async function cells(page: Page, queue: string): Promise<string[]> {
  return row(page, queue).locator('th, td').allTextContents();
}

describe('web monitor in headless Chromium', () => {
  let t: TestRedis;
  let redis: Redis;
  let store: MessageStore;
  let ops: QueueOps;
  let browser: Browser | undefined;
  let operatorUrl: string;
  let monitorUrl: string;
  const servers: RunningHttpManagement[] = [];
  const pageErrors: string[] = [];

  async function serve(access: string): Promise<string> {
    const s = await startHttpManagement({ config: config(`http-access ${access}`), redisUrl: t.url, prefix: t.prefix.slice(0, -1), port: 0, host: '127.0.0.1' });
    servers.push(s);
    return `http://127.0.0.1:${s.port}`;
  }

  /** A fresh page (own context: no cookies or cache shared); uncaught errors and CSP violations are collected. */
  async function open(url: string, prepare?: (page: Page) => Promise<void>): Promise<Page> {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(`${url}: ${err.message}`));
    page.on('console', (msg) => {
      if (/Content.Security.Policy/i.test(msg.text())) pageErrors.push(`${url}: ${msg.text()}`);
    });
    await prepare?.(page);
    await page.goto(url);
    return page;
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    if (!SCREENSHOTS) return;
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} not found: the web monitor test needs Debian's Chromium. Install it with ` +
          '`apt-get install -y --no-install-recommends chromium fonts-dejavu-core` (.ci/run does this in CI).',
      );
    }
    t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    redis = new Redis(t.url);
    store = new MessageStore(redis, { prefix });
    ops = new QueueOps(redis, prefix);
    await store.enqueue(message(['a@big.example', 'b@big.example', 'c@big.example']));
    await store.enqueue(message(['a@mid.example', 'b@mid.example']));
    await store.enqueue(message(['x@small.example']));
    operatorUrl = await serve('127.0.0.1 operator');
    monitorUrl = await serve('127.0.0.1 monitor');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of servers) await s.close();
    await store?.dispatcher.close();
    redis?.disconnect();
    await t?.cleanup();
  });

  it('serves the page, its script and style sheet with their types, no caching and a CSP without inline code', async () => {
    for (const [path, type] of [['/', 'text/html'], ['/monitor.js', 'text/javascript'], ['/monitor-jobs.js', 'text/javascript'], ['/monitor-sources.js', 'text/javascript'], ['/monitor-chart.js', 'text/javascript'], ['/monitor-dom.js', 'text/javascript'], ['/monitor-tables.js', 'text/javascript'], ['/monitor-lib.js', 'text/javascript'], ['/monitor.css', 'text/css']] as const) {
      const res = await fetch(`${operatorUrl}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toBe(`${type}; charset=utf-8`);
      expect(res.headers.get('cache-control'), path).toBe('no-store');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("default-src 'none'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).not.toContain('unsafe-inline');
    }
    const html = await (await fetch(`${operatorUrl}/`)).text();
    expect(html).toContain('<script type="module" src="/monitor.js"></script>');
    expect(html).not.toMatch(/<script>|<style|\sstyle="|\son[a-z]+="/);
    expect(await (await fetch(`${operatorUrl}/whoami`)).json()).toEqual({ level: 'operator' });
    expect(await (await fetch(`${monitorUrl}/whoami`)).json()).toEqual({ level: 'monitor' });
  });

  it('shows the queues of a running instance with their counts, most queued first, sorts and filters them', async () => {
    const page = await open(operatorUrl);
    await row(page, 'small.example/mta1').waitFor();
    expect(await page.locator('#queues-body tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-queue')))).toEqual([
      'big.example/mta1',
      'mid.example/mta1',
      'small.example/mta1',
    ]);
    const big = await cells(page, 'big.example/mta1');
    expect(big.slice(0, 8)).toEqual(['big.example/mta1', 'normal', '3', '0', '0', expect.stringMatching(/^\d+s$/), '0', '0']);
    expect((await cells(page, 'mid.example/mta1')).slice(0, 3)).toEqual(['mid.example/mta1', 'normal', '2']);
    await expect.poll(() => page.locator('#queue-count').textContent()).toBe('(3)');
    await expect.poll(() => page.locator('#access-level').textContent()).toBe('operator');
    expect(await page.locator('#version').textContent()).toBe('0.1.0');
    expect(await page.locator('#updated').textContent()).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(await page.locator('#error-banner').isHidden()).toBe(true);
    await screenshot(page, 'operator');
    const order = () => page.locator('#queues-body tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-queue')));
    await page.getByRole('button', { name: 'Queue', exact: true }).click();
    expect(await order()).toEqual(['big.example/mta1', 'mid.example/mta1', 'small.example/mta1'].sort());
    expect(await page.locator('#queues-head th[data-key="queue"]').getAttribute('aria-sort')).toBe('ascending');
    await page.getByRole('button', { name: 'Queue', exact: true }).click();
    expect(await order()).toEqual(['small.example/mta1', 'mid.example/mta1', 'big.example/mta1']);
    await page.getByLabel('Filter').fill('MID');
    expect(await order()).toEqual(['mid.example/mta1']);
    expect(await page.locator('#queue-count').textContent()).toBe('(1 of 3)');
    await page.context().close();
    expect(pageErrors).toEqual([]);
  });

  it('pauses a queue on a click: the row says paused and so does Redis, the other queues stay as they were', async () => {
    const page = await open(operatorUrl);
    await page.getByRole('button', { name: 'Pause queue mid.example/mta1' }).click();
    await row(page, 'mid.example/mta1').locator('.mode', { hasText: /^paused$/ }).waitFor();
    expect((await ops.state('mid.example/mta1')).mode).toBe('paused');
    expect((await ops.state('big.example/mta1')).mode).toBe('normal');
    expect((await cells(page, 'big.example/mta1'))[1]).toBe('normal');
    // The same button now resumes.
    await page.getByRole('button', { name: 'Resume queue mid.example/mta1' }).waitFor();
    await screenshot(page, 'paused');
    await page.getByRole('button', { name: 'Resume queue mid.example/mta1' }).click();
    await row(page, 'mid.example/mta1').locator('.mode', { hasText: /^normal$/ }).waitFor();
    expect((await ops.state('mid.example/mta1')).mode).toBe('normal');
    await page.context().close();
    expect(pageErrors).toEqual([]);
  });

  it('shows no queue buttons to a monitor-level client, and refreshes by itself', async () => {
    const page = await open(monitorUrl);
    await row(page, 'big.example/mta1').waitFor();
    await expect.poll(() => page.locator('#access-level').textContent()).toBe('monitor');
    expect(await page.getByRole('button', { name: /^(Pause|Resume|Retry|Delete) queue/ }).count()).toBe(0);
    expect(await page.locator('#queues-head th').allTextContents()).not.toContain('Actions');
    expect(await page.locator('#dsn-option').isHidden()).toBe(true);
    await screenshot(page, 'monitor');
    // No reload: the page fetches again by itself (every 5 s) and shows what another client did.
    await ops.pause('small.example/mta1');
    try {
      await row(page, 'small.example/mta1').locator('.mode', { hasText: /^paused$/ }).waitFor({ timeout: 20_000 });
    } finally {
      await ops.resume('small.example/mta1');
    }
    await page.context().close();
    expect(pageErrors).toEqual([]);
  });

  it('asks before deleting a queue and sends dsn=1 when the DSN option is on', async () => {
    const posted: string[] = [];
    const dialogs: string[] = [];
    const page = await open(operatorUrl, async (p) => {
      // DELETE may not exist on this server yet: answer it here, the page's side is what is tested.
      await p.route('**/queues/*/delete*', async (route) => {
        posted.push(`${route.request().method()} ${new URL(route.request().url()).pathname}${new URL(route.request().url()).search}`);
        await route.fulfill({ status: 202, contentType: 'application/json', body: JSON.stringify({ queue: 'small.example/mta1', recipients: 1, dsn: true }) });
      });
    });
    await row(page, 'small.example/mta1').waitFor();
    page.once('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.getByRole('button', { name: 'Delete queue small.example/mta1' }).click();
    await expect.poll(() => dialogs.length).toBe(1);
    expect(dialogs[0]).toContain('small.example/mta1');
    expect(posted).toEqual([]);
    await page.getByLabel(/Delete sends a DSN/).check();
    page.once('dialog', (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    await page.getByRole('button', { name: 'Delete queue small.example/mta1' }).click();
    await expect.poll(() => posted).toEqual([`POST /queues/${encodeURIComponent('small.example/mta1')}/delete?dsn=1`]);
    expect(dialogs[1]).toMatch(/DSN/);
    await page.context().close();
    expect(pageErrors).toEqual([]);
  });

  it('says "not available" where an endpoint answers 404 and shows an error banner when one fails, keeping the rest', async () => {
    const page = await open(operatorUrl, async (p) => {
      await p.route('**/vmtas', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":"not-found"}' }));
      await p.route('**/history?*', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":"not-found"}' }));
      await p.route('**/status', (route) => route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":"internal"}' }));
      await p.route('**/disabled-sources', (route) => route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":"internal"}' }));
    });
    await row(page, 'big.example/mta1').waitFor();
    await page.locator('#error-banner').waitFor({ state: 'visible' });
    expect(await page.locator('#error-banner').textContent()).toContain('/status: HTTP 500 (internal)');
    expect(await page.locator('#summary').textContent()).toBe('could not load: see the error above');
    expect(await page.locator('#updated').textContent()).toBe('never');
    expect(await page.locator('#vmtas').textContent()).toBe('not available on this server');
    expect(await page.locator('#chart').textContent()).toBe('not available on this server');
    expect(await page.locator('#error-banner').textContent()).not.toMatch(/vmtas|history/);
    // The disabled source IPs table has its own module and says so in its own section.
    await page.locator('#disabled-sources-error').waitFor({ state: 'visible' });
    expect(await page.locator('#disabled-sources-error').textContent()).toContain('/disabled-sources: HTTP 500 (internal)');
    expect(await page.locator('#disabled-sources').textContent()).toBe('could not load: see the error above');
    expect((await cells(page, 'big.example/mta1'))[2]).toBe('3');
    await screenshot(page, 'errors');
    await page.context().close();
    expect(pageErrors).toEqual([]);
  });

  it('renders processes, rates, VMTAs and the throughput chart from the shapes of /status, /vmtas and /history', async () => {
    const now = Date.now();
    const minutes = Array.from({ length: 60 }, (_, i) => ({
      t: new Date(now - (59 - i) * 60_000).toISOString(),
      received: 40 + (i % 7) * 5,
      delivered: 35 + (i % 5) * 4,
      bounced: i % 9 === 0 ? 6 : 1,
      deferred: i > 40 ? 12 : 3,
    }));
    const status = {
      version: '9.9.9',
      uptimeSeconds: 7384,
      queues: 3,
      totals: { received: 120_000, delivered: 118_500, bounced: 700, deferred: 2_100 },
      perMinute: { received: 52, delivered: 47, bounced: 1, deferred: 12 },
      perMinute5: { received: 49.4, delivered: 45.2, bounced: 1.6, deferred: 10.8 },
      processes: [
        { id: 'mx1:4242', role: 'all', host: 'mx1', pid: 4242, alive: true, startedAt: new Date(now - 7_384_000).toISOString(), uptimeSeconds: 7384, lastSeen: new Date(now - 2000).toISOString(), vmtas: ['mta1', 'mta2'], listeners: ['0.0.0.0:25'] },
        { id: 'mx2:77', role: 'delivery', host: 'mx2', pid: 77, alive: false, startedAt: new Date(now - 90_000_000).toISOString(), uptimeSeconds: 90_000, lastSeen: new Date(now - 600_000).toISOString(), vmtas: ['mta2'], listeners: [] },
      ],
    };
    const vmtas = [
      { kind: 'vmta', name: 'mta1', sourceHosts: ['192.0.2.10 mta1.example.com'], queues: 3, queued: 6, inflight: 0, connectionsOut: 2, servedBy: ['mx1:4242'] },
      { kind: 'pool', name: 'pool1', sourceHosts: [], queues: 0, queued: 0, inflight: 0, connectionsOut: 0, servedBy: [] },
    ];
    const json = (body: unknown) => ({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
    const page = await open(operatorUrl, async (p) => {
      await p.route('**/status', (route) => route.fulfill(json(status)));
      await p.route('**/vmtas', (route) => route.fulfill(json(vmtas)));
      await p.route('**/history?minutes=60', (route) => route.fulfill(json({ minutes })));
      await p.route('**/disabled-sources', (route) =>
        route.fulfill(json([{ ip: '192.0.2.10', queue: 'gmail.com/mta1', reason: '421 4.7.0 [TS03] blocked', rule: 'pmta.conf:12', since: '2026-01-02T03:04:05.000Z', until: '2026-01-02T04:04:05.000Z' }])),
      );
    });
    await page.locator('#processes table').waitFor();
    await page.locator('#chart svg path').first().waitFor();
    expect(await page.locator('#version').textContent()).toBe('9.9.9');
    expect(await page.locator('#uptime').textContent()).toBe('2h 03m');
    expect(await page.locator('#summary dd').first().textContent()).toBe('120,000' + '52/min last minute' + '49/min over 5 min');
    expect(await page.locator('#processes tbody tr').evaluateAll((trs) => trs.map((tr) => tr.querySelector('th')?.textContent))).toEqual(['mx1:4242', 'mx2:77']);
    expect(await page.locator('#processes tbody tr').nth(1).locator('td').nth(3).textContent()).toBe('down');
    expect(await page.locator('#vmtas thead th').allTextContents()).toEqual(['name', 'kind', 'source hosts', 'queues', 'queued', 'inflight', 'connections out', 'served by']);
    expect(await page.locator('#vmtas tbody tr').first().locator('th, td').allTextContents()).toEqual(['mta1', 'vmta', '192.0.2.10 mta1.example.com', '3', '6', '0', '2', 'mx1:4242']);
    expect(await page.locator('#disabled-source-count').textContent()).toBe('(1)');
    expect(await page.locator('#disabled-sources tbody tr').first().locator('th, td').allTextContents()).toEqual(['192.0.2.10', 'gmail.com/mta1', '421 4.7.0 [TS03] blocked', 'pmta.conf:12', expect.any(String), expect.any(String)]);
    expect(await page.locator('#chart svg path.line').evaluateAll((ps) => ps.map((p) => p.getAttribute('class')))).toEqual(['line received', 'line delivered', 'line bounced', 'line deferred']);
    expect((await page.locator('#chart svg text').allTextContents()).filter((s) => /^\d\d:\d\d$/.test(s)).length).toBeGreaterThanOrEqual(5);
    expect(await page.locator('#chart .legend li').allTextContents()).toEqual(['received ' + minutes.reduce((n, m) => n + m.received, 0).toLocaleString('en-US'), expect.stringMatching(/^delivered /), expect.stringMatching(/^bounced /), expect.stringMatching(/^deferred /)]);
    expect(await page.locator('#error-banner').isHidden()).toBe(true);
    await screenshot(page, 'full-1280');
    await page.setViewportSize({ width: 420, height: 900 });
    await screenshot(page, 'full-narrow');
    await page.context().close();
    expect(pageErrors).toEqual([]);
  });

  it('lists jobs and pauses and resumes one on a click, as Redis then says', async () => {
    await store.enqueue({ ...message(['j@jobs.example']), job: 'promo' });
    const paused = async () => (await redis.smembers(new Keys(t.prefix.slice(0, -1)).pausedJobs())).includes('promo');
    const page = await open(operatorUrl);
    const jobRow = page.locator('#jobs-body tr[data-job="promo"]');
    await jobRow.waitFor();
    expect(await jobRow.locator('th, td').allTextContents()).toEqual(expect.arrayContaining(['promo', 'normal', '1', '0']));
    await page.getByRole('button', { name: 'Pause job promo' }).click();
    await jobRow.locator('.mode', { hasText: /^paused$/ }).waitFor();
    expect(await paused()).toBe(true);
    await page.getByRole('button', { name: 'Resume job promo' }).click();
    await jobRow.locator('.mode', { hasText: /^normal$/ }).waitFor();
    expect(await paused()).toBe(false);
    await page.context().close();
    const monitorPage = await open(monitorUrl);
    await monitorPage.locator('#jobs-body tr[data-job="promo"]').waitFor();
    expect(await monitorPage.getByRole('button', { name: /job promo/ }).count()).toBe(0);
    await monitorPage.context().close();
    expect(pageErrors).toEqual([]);
  });

  it('shows the suppressed addresses per tenant and the report counts to a monitor-level client', async () => {
    const prefix = t.prefix.slice(0, -1);
    await new SuppressionStore(redis, prefix).add('user:alice', [{ address: 'a@gone.example', reason: 'bad-mailbox' }, { address: 'b@gone.example', reason: 'bad-mailbox' }]);
    await new ReportStore(redis, prefix).write({ kind: 'fbl', records: [], suppressions: [], unparsed: { kind: 'fbl', reason: 'not ARF', mailFrom: '', rcpt: 'fbl@x.example', raw: Buffer.from('Subject: x\r\n\r\nx\r\n') } });
    const page = await open(monitorUrl);
    await page.locator('#suppressions tr', { hasText: 'user:alice' }).waitFor();
    expect(await page.locator('#suppressions tr', { hasText: 'user:alice' }).locator('th, td').allTextContents()).toEqual(['user:alice', '2']);
    expect(await page.locator('#suppression-count').textContent()).toBe('(2)');
    await page.locator('#reports dd').first().waitFor();
    expect(await page.locator('#reports dt, #reports dd').allTextContents()).toEqual(['Complaints (FBL)', '0', 'Remote bounces', '0', 'Not reports, kept', '1', 'Not reports, ever', '1']);
    await page.context().close();
    expect(pageErrors).toEqual([]);
  });
});
