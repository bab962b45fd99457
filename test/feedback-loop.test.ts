/**
 * Feedback loop and remote bounce end to end: alice sends two messages through our listener, delivery
 * delivers them to a test MX; an ARF report quoting the first as delivered (our Received header, X-Job,
 * X-Campaign) and a late DSN quoting the second's headers come back to the processor addresses. The
 * accounting writer's CSV holds an f line (alice's tenant, the original's queue id and job, the header
 * column asked for) and an rb line (bad-mailbox); alice can no longer send to either address, bob can.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfigText } from '@vmta/config';
import { startAccounting, startDelivery } from '@vmta/delivery';
import { startReceiver } from '@vmta/delivery/testing';
import { b64, queueIdOf, RawSmtp, sendRaw, startTestListener } from '@vmta/listener/testing';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';

const PASSWORDS: Record<string, string> = { alice: 'a1', bob: 'b2' };

function arf(original: string): string {
  return [
    'From: fbl@isp.example', 'To: fbl@fbl.ours.example', 'Subject: complaint', 'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report; boundary="b1"', '',
    '--b1', 'Content-Type: text/plain', '', 'A complaint.', '',
    '--b1', 'Content-Type: message/feedback-report', '',
    'Feedback-Type: abuse', 'User-Agent: ISP-FBL/2.0', 'Version: 1', 'Original-Mail-From: <sender@client.example>', 'Source-IP: 127.0.0.52', '',
    '--b1', 'Content-Type: message/rfc822', '', original.replace(/\r?\n$/, ''), '',
    '--b1--', '',
  ].join('\r\n');
}

function dsn(rcpt: string, headers: string): string {
  return [
    'From: MAILER-DAEMON@isp.example', 'To: b@bounce.ours.example', 'Subject: Undelivered Mail Returned to Sender', 'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b2"', '',
    '--b2', 'Content-Type: text/plain', '', 'Sorry.', '',
    '--b2', 'Content-Type: message/delivery-status', '',
    'Reporting-MTA: dns; mx.isp.example', '',
    `Final-Recipient: rfc822; ${rcpt}`, 'Action: failed', 'Status: 5.1.1', `Diagnostic-Code: smtp; 550 5.1.1 <${rcpt}>: user unknown`, '',
    '--b2', 'Content-Type: text/rfc822-headers', '', headers, '',
    '--b2--', '',
  ].join('\r\n');
}

const dotted = (text: string) => `${text.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..')}\r\n.\r\n`;

describe('feedback loop and remote bounces', () => {
  it('logs f and rb records in the CSV and suppresses for the tenant that sent the originals', { timeout: 60_000 }, async () => {
    const t = await getTestRedis();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vmta-fbl-'));
    const receiver = await startReceiver({ host: '127.0.0.51', startTls: false });
    const text = [
      'host-name mx.fbl.example',
      'smtp-listener 127.0.0.53:0',
      '<smtp-user alice>', '  password a1', '</smtp-user>',
      '<smtp-user bob>', '  password b2', '</smtp-user>',
      '<source 0/0>', '  allow-unencrypted-plain-auth yes', '  default-virtual-mta mta1', '  process-x-job yes', '  retain-x-job yes', '</source>',
      '<virtual-mta mta1>', '  smtp-source-host 127.0.0.52 mta1.fbl.example', '</virtual-mta>',
      '<domain *>', `  smtp-hosts [127.0.0.51]:${receiver.port}`, '</domain>',
      '<feedback-loop-processor>', '  <address-list>', '    address fbl@fbl.ours.example', '  </address-list>', '</feedback-loop-processor>',
      '<bounce-processor>', '  domain bounce.ours.example', '</bounce-processor>',
      `<acct-file ${path.join(dir, 'fbl.csv')}>`, '  records f,rb', '  record-fields f *,header_X-Campaign', '</acct-file>',
    ].join('\n');
    const prefix = t.prefix.slice(0, -1);
    const config = loadConfigText(text);
    const listener = await startTestListener(t, text);
    const delivery = await startDelivery({ config, redisUrl: t.url, prefix, concurrency: 2 });
    const accounting = await startAccounting({ config, redisUrl: t.url, prefix, blockMs: 200, consumer: 'fbl-test' });
    const connect = async (user?: string): Promise<RawSmtp> => {
      const c = await RawSmtp.connect(listener.port(), listener.host());
      await c.read();
      await c.command('EHLO client.example');
      if (user) expect((await c.command(`AUTH PLAIN ${b64(`\0${user}\0${PASSWORDS[user]}`)}`)).code).toBe(235);
      return c;
    };
    const rcptAs = async (user: string, address: string): Promise<string> => {
      const c = await connect(user);
      await c.command('MAIL FROM:<sender@client.example>');
      const r = await c.command(`RCPT TO:<${address}>`);
      c.close();
      return r.text;
    };
    try {
      const c = await connect('alice');
      const first = await sendRaw(c, 'sender@client.example', ['joe@isp.example'], dotted('Subject: offer\r\nX-Job: job-7\r\nX-Campaign: spring\r\n\r\nbuy\r\n'));
      await c.command('RSET');
      const second = await sendRaw(c, 'sender@client.example', ['gone@isp.example'], dotted('Subject: offer 2\r\n\r\nbuy\r\n'));
      c.close();
      await expect.poll(() => receiver.messages.length, { timeout: 30_000 }).toBe(2);
      const delivered = (to: string) => receiver.messages.find((m) => m.to.includes(to))!.body;

      const feeder = await connect();
      expect((await sendRaw(feeder, 'fbl@isp.example', ['fbl@fbl.ours.example'], dotted(arf(delivered('joe@isp.example'))))).code).toBe(250);
      await feeder.command('RSET');
      const headers = delivered('gone@isp.example').split(/\r?\n\r?\n/)[0]!;
      expect((await sendRaw(feeder, '', ['b@bounce.ours.example'], dotted(dsn('gone@isp.example', headers)))).code).toBe(250);
      feeder.close();
      // Nothing sent to the processors was delivered.
      expect(receiver.messages).toHaveLength(2);

      const csv = path.join(dir, 'fbl.csv');
      const lines = async () => {
        try {
          return readFileSync(csv, 'utf8').trim().split(/\r?\n/);
        } catch {
          return [];
        }
      };
      await expect.poll(async () => (await lines()).length, { timeout: 20_000 }).toBe(4);
      const rows = await lines();
      const row = (type: string) => {
        const header = rows.find((l) => l.startsWith('type,') && rows[rows.indexOf(l) + 1]?.startsWith(`${type},`))!.split(',');
        const values = rows.find((l) => l.startsWith(`${type},`))!.split(',');
        return Object.fromEntries(header.map((h, i) => [h, values[i]]));
      };
      expect(row('f')).toMatchObject({ feedbackType: 'abuse', userAgent: 'ISP-FBL/2.0', orig: 'sender@client.example', rcpt: 'joe@isp.example', jobId: 'job-7', msgId: queueIdOf(first), tenant: 'user:alice', 'header_X-Campaign': 'spring' });
      expect(row('rb')).toMatchObject({ rcpt: 'gone@isp.example', dsnStatus: '5.1.1', bounceCat: 'bad-mailbox', format: 'dsn', msgId: queueIdOf(second) });

      expect(await rcptAs('alice', 'joe@isp.example')).toBe('550 5.7.1 recipient is suppressed (complaint): <joe@isp.example>');
      expect(await rcptAs('alice', 'gone@isp.example')).toBe('550 5.7.1 recipient is suppressed (bad-mailbox): <gone@isp.example>');
      expect(await rcptAs('bob', 'joe@isp.example')).toMatch(/^250 /);
    } finally {
      await accounting.close();
      await delivery.close();
      await listener.close();
      await receiver.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
