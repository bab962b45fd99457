/**
 * The feedback loop and bounce processors over real SMTP and a real Redis: an ARF report to the FBL
 * address yields an f record and a suppression for the tenant that sent the original; a late DSN and a
 * qmail bounce to the bounce domain yield rb records with their category; garbage is kept and counted;
 * nothing sent to a processor address is ever queued for delivery.
 */
import { createRedis, Keys, REPORT_TOTALS, ReportStore, SuppressionStore } from '@vmta/queue';
import { getTestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arfReport, asData, dsnReport, OUR_HOST, qmailBounce } from './reports/samples.test-data.js';
import { RawSmtp, sendRaw, startTestListener, type TestListener } from './testing/smtp-test-kit.js';

let t: TestListener;
let redis: ReturnType<typeof createRedis>;
let keys: Keys;

beforeAll(async () => {
  t = await startTestListener(
    await getTestRedis(),
    `
host-name ${OUR_HOST}
smtp-listener 127.0.0.1:0
relay-domain ours.example
<feedback-loop-processor>
  deliver-unmatched-email no
  <address-list>
    address /^fbl@fbl\\.ours\\.example$/
  </address-list>
</feedback-loop-processor>
<bounce-processor>
  domain bounce.ours.example
</bounce-processor>
<acct-file acct.csv>
  records f,rb,rs
  record-fields f *,header_X-Campaign
  record-fields rs *,header_X-Campaign
</acct-file>
`,
  );
  redis = createRedis(t.redisUrl, 'cli');
  keys = new Keys(t.prefix);
});
afterAll(async () => {
  await t?.close();
  redis?.disconnect();
});

async function send(to: string[], text: string): Promise<{ code: number; text: string }> {
  const c = await RawSmtp.connect(t.port(), t.host());
  expect((await c.read()).code).toBe(220);
  expect((await c.command('EHLO isp.example')).code).toBe(250);
  const r = await sendRaw(c, 'MAILER-DAEMON@isp.example', to, asData(text));
  c.close();
  return r;
}

async function records(type: string): Promise<Record<string, string>[]> {
  const rows = await redis.xrange(keys.accounting(), '-', '+');
  return rows
    .map(([, flat]) => Object.fromEntries(flat.flatMap((v, i) => (i % 2 === 0 ? [[v, flat[i + 1]!]] : []))))
    .filter((r) => r.type === type);
}

describe('processors', () => {
  it('turns an ARF report into an f record and a complaint suppression in the original sender tenant', async () => {
    const r = await send(['fbl@fbl.ours.example'], arfReport('joe@isp.example', { user: 'alice', job: 'job-7' }));
    expect(r.code).toBe(250);
    const [f] = await records('f');
    expect(f).toMatchObject({
      type: 'f', format: 'arf', feedbackType: 'abuse', userAgent: 'ISP-FBL/1.0', orig: 'news@sender.example', rcpt: 'joe@isp.example',
      jobId: 'job-7', msgId: 'Q1ORIG', tenant: 'user:alice', reportingMta: 'mail.isp.example', srcIp: '192.0.2.1', 'header_X-Campaign': 'spring-2026',
    });
    const s = await new SuppressionStore(redis, t.prefix).lookup('user:alice', 'joe@isp.example');
    expect(s).toMatchObject({ reason: 'complaint', expiresMs: 0 });
    // Only alice's store: another tenant still sends to joe.
    expect(await new SuppressionStore(redis, t.prefix).lookup('user:bob', 'joe@isp.example')).toBeUndefined();
  });

  it('turns a late DSN into an rb record with its bounce category, and suppresses the hard bounce', async () => {
    const r = await send(['bounces+x@bounce.ours.example'], dsnReport('gone@isp.example', { job: 'job-9' }));
    expect(r.code).toBe(250);
    expect(await records('rb')).toEqual([
      expect.objectContaining({ rcpt: 'gone@isp.example', dsnStatus: '5.1.1', bounceCat: 'bad-mailbox', format: 'dsn', jobId: 'job-9', msgId: 'Q1ORIG', envId: 'ENV42' }),
    ]);
    // The same DSN's delivered recipient: an rs record (with the header its record-fields ask for), never a suppression.
    expect(await records('rs')).toEqual([
      expect.objectContaining({ rcpt: 'other@isp.example', dsnAction: 'delivered', dsnStatus: '2.0.0', bounceCat: '', format: 'dsn', jobId: 'job-9', 'header_X-Campaign': 'spring-2026' }),
    ]);
    expect(await new SuppressionStore(redis, t.prefix).lookup('*', 'other@isp.example')).toBeUndefined();
    // The original names no AUTH user: the global store, which applies to every tenant.
    expect(await new SuppressionStore(redis, t.prefix).lookup('*', 'gone@isp.example')).toMatchObject({ reason: 'bad-mailbox' });
  });

  it('turns a qmail bounce into an rb record', async () => {
    expect((await send(['b@bounce.ours.example'], qmailBounce('nobody@old.example'))).code).toBe(250);
    const rb = (await records('rb')).filter((x) => x.format === 'qmail');
    expect(rb).toEqual([expect.objectContaining({ rcpt: 'nobody@old.example', bounceCat: 'bad-mailbox', jobId: 'job-q' })]);
    expect(await new SuppressionStore(redis, t.prefix).lookup('user:alice', 'nobody@old.example')).toMatchObject({ reason: 'bad-mailbox' });
  });

  it('keeps and counts mail that is not a report, byte for byte', async () => {
    const before = Number((await redis.hget(keys.totals(), REPORT_TOTALS.unparsed)) ?? 0);
    const garbage = 'Subject: hello\r\n\r\nThis is not a report at all.\r\n';
    expect((await send(['fbl@fbl.ours.example'], garbage)).code).toBe(250);
    expect(Number(await redis.hget(keys.totals(), REPORT_TOTALS.unparsed))).toBe(before + 1);
    const kept = await new ReportStore(redis, t.prefix).unparsed();
    const last = kept.at(-1)!;
    expect(last.fields).toMatchObject({ kind: 'fbl', rcpt: 'fbl@fbl.ours.example', mailFrom: 'MAILER-DAEMON@isp.example' });
    expect(last.raw.toString()).toContain('This is not a report at all.');
  });

  it('never mixes processor addresses with ordinary recipients, and refuses what is neither', async () => {
    const c = await RawSmtp.connect(t.port(), t.host());
    await c.read();
    await c.command('EHLO isp.example');
    expect((await c.command('MAIL FROM:<x@isp.example>')).code).toBe(250);
    expect((await c.command('RCPT TO:<fbl@fbl.ours.example>')).code).toBe(250);
    expect((await c.command('RCPT TO:<user@ours.example>')).code).toBe(452);
    expect((await c.command('RCPT TO:<postmaster>')).code).toBe(452);
    expect((await c.command('RCPT TO:<other@fbl.ours.example>')).code).toBe(550); // not a processor address, not ours to relay
    expect((await c.command('RSET')).code).toBe(250);
    expect((await c.command('MAIL FROM:<x@isp.example>')).code).toBe(250);
    expect((await c.command('RCPT TO:<postmaster>')).code).toBe(250);
    expect((await c.command('RCPT TO:<x@bounce.ours.example>')).code).toBe(452);
    c.close();
  });

  it('queued nothing for delivery: no message, no r record', async () => {
    expect(await redis.keys(`${t.prefix}:{m:*`)).toEqual([]);
    expect(await records('r')).toEqual([]);
    expect(Number(await redis.hget(keys.totals(), REPORT_TOTALS.fbl))).toBe(1);
    expect(Number(await redis.hget(keys.totals(), REPORT_TOTALS.bounce))).toBe(2);
  });
});
