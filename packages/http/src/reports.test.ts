/**
 * The processors' views over a real HTTP server and Redis: GET /reports (monitor), the kept unparsed
 * mail (operator, list and raw bytes), and the /metrics gauges of suppressions per tenant and kept mail.
 */
import { loadConfigText } from '@vmta/config';
import { createRedis, ReportStore, SuppressionStore } from '@vmta/queue';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpManagement, type RunningHttpManagement } from './index.js';

describe('/reports and the suppression gauges', () => {
  let t: TestRedis;
  let redis: ReturnType<typeof createRedis>;
  const servers: RunningHttpManagement[] = [];
  const raw = Buffer.from('From: someone@isp.example\r\nSubject: out of\r\n office\r\n\r\n\u00e9t\u00e9 \xff bytes\r\n', 'latin1');

  async function serve(level: string) {
    const s = await startHttpManagement({ config: loadConfigText(`http-access 127.0.0.1 ${level}`), redisUrl: t.url, prefix: t.prefix.slice(0, -1), port: 0, host: '127.0.0.1' });
    servers.push(s);
    return (p: string) => fetch(`http://127.0.0.1:${s.port}${p}`);
  }

  beforeAll(async () => {
    t = await getTestRedis();
    redis = createRedis(t.url, 'cli');
    const prefix = t.prefix.slice(0, -1);
    const reports = new ReportStore(redis, prefix);
    await reports.write({ kind: 'bounce', records: [], suppressions: [], unparsed: { kind: 'bounce', reason: 'neither a DSN nor a recognised bounce', mailFrom: '', rcpt: 'b@bounce.example', raw } });
    await reports.write({ kind: 'fbl', records: [], suppressions: [{ tenant: 'user:alice', entries: [{ address: 'joe@isp.example', reason: 'complaint' }] }] });
    await new SuppressionStore(redis, prefix).add('*', [{ address: 'x@isp.example', reason: 'manual' }, { address: 'y@isp.example', reason: 'manual' }]);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    redis.disconnect();
    await t.cleanup();
  });

  it('gives counts to a monitor and the kept mail, envelope and bytes, to an operator only', async () => {
    const monitor = await serve('monitor');
    const operator = await serve('operator');
    expect(await (await monitor('/reports')).json()).toEqual({ fbl: 1, bounce: 0, unparsed: 1, kept: 1 });
    expect((await monitor('/reports/unparsed')).status).toBe(403);
    const list = (await (await operator('/reports/unparsed')).json()) as { kept: number; reports: Array<Record<string, unknown>> };
    expect(list.kept).toBe(1);
    expect(list.reports).toEqual([expect.objectContaining({ kind: 'bounce', reason: 'neither a DSN nor a recognised bounce', mailFrom: '', rcpt: 'b@bounce.example', bytes: raw.length, subject: 'out of office' })]);
    const one = await operator(`/reports/unparsed/${list.reports[0]!.id as string}`);
    expect(one.headers.get('content-type')).toBe('message/rfc822');
    expect(Buffer.from(await one.arrayBuffer()).equals(raw)).toBe(true);
    expect((await operator('/reports/unparsed/1-0')).status).toBe(404);
    expect((await operator('/reports/unparsed/99999999999999999999-0')).status).toBe(404); // past 64 bits: was a 500
    expect((await operator('/reports/unparsed?limit=x')).status).toBe(400);
  });

  it('exports the entries of every suppression store and the kept mail as gauges', async () => {
    const text = await (await (await serve('monitor'))('/metrics')).text();
    expect(text).toContain('vmta_suppressed_addresses{tenant="*"} 2');
    expect(text).toContain('vmta_suppressed_addresses{tenant="user:alice"} 1');
    expect(text).toContain('vmta_reports_unparsed_kept 1');
  });
});
