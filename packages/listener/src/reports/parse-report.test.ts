import { describe, expect, it } from 'vitest';
import { parseReport } from './parse-report.js';
import { arfReport, dsnReport, eximBounce, OUR_HOST, qmailBounce } from './samples.test-data.js';

const input = (text: string) => ({ raw: Buffer.from(text), hostName: OUR_HOST, logged: '2026-12-03T10:00:00.000Z' });

describe('parseReport', () => {
  it('reads an ARF report: feedback type, user agent, original sender and recipient, job and our queue id', async () => {
    const r = await parseReport('fbl', input(arfReport('joe@isp.example', { user: 'alice', job: 'job-7' })));
    expect(r.ok && r.kind === 'fbl' && r.record).toMatchObject({
      type: 'f', format: 'arf', feedbackType: 'abuse', userAgent: 'ISP-FBL/1.0', reportingMta: 'mail.isp.example', srcIp: '192.0.2.1',
      reportedDomain: 'sender.example', orig: 'news@sender.example', rcpt: 'joe@isp.example', jobId: 'job-7', msgId: 'Q1ORIG',
    });
    expect(r.ok && r.original.trace.authUser).toBe('alice');
  });

  it('takes the recipient from our Received header when the report redacts Original-Rcpt-To', async () => {
    const r = await parseReport('fbl', input(arfReport('hidden@isp.example', { withRcptField: false })));
    expect(r.ok && r.kind === 'fbl' && r.record.rcpt).toBe('hidden@isp.example');
  });

  it.each([
    ['plain text', 'From: a@b.example\r\nSubject: hi\r\n\r\nI hate your mail\r\n', 'no message/feedback-report part (not an ARF report)', true],
    ['a report without Feedback-Type', 'Content-Type: multipart/report; boundary=x\r\n\r\n--x\r\nContent-Type: message/feedback-report\r\n\r\nUser-Agent: x\r\n\r\n--x--\r\n', 'the feedback report has no Feedback-Type', false],
  ])('refuses %s as an ARF report', async (_name, text, reason, notReport) => {
    expect(await parseReport('fbl', input(text))).toEqual({ ok: false, reason, ...(notReport ? { notReport } : {}) });
  });

  it('reads a DSN: an rb record per failed recipient, with the bounce category, and an rs record per delivered one', async () => {
    const r = await parseReport('bounce', input(dsnReport('gone@isp.example', { job: 'job-9' })));
    expect(r.ok && r.kind === 'bounce' && r.records).toEqual([
      expect.objectContaining({ type: 'rb', rcpt: 'gone@isp.example', dsnStatus: '5.1.1', bounceCat: 'bad-mailbox', dsnMta: 'store.isp.example', dsnReportingMta: 'mx.isp.example', envId: 'ENV42', format: 'dsn', jobId: 'job-9', msgId: 'Q1ORIG' }),
      expect.objectContaining({ type: 'rs', rcpt: 'other@isp.example', dsnAction: 'delivered', dsnStatus: '2.0.0', bounceCat: undefined, dsnReportingMta: 'mx.isp.example', envId: 'ENV42', format: 'dsn', jobId: 'job-9' }),
    ]);
  });

  it('reads a delayed recipient of a DSN as an rs record with its bounce category, never as an rb', async () => {
    const r = await parseReport('bounce', input(dsnReport('slow@isp.example', { action: 'delayed', status: '4.2.2', diag: '452 4.2.2 mailbox full' })));
    expect(r.ok && r.kind === 'bounce' && r.records.map((x) => [x.type, x.rcpt, x.dsnAction, x.dsnStatus, x.bounceCat])).toEqual([
      ['rs', 'slow@isp.example', 'delayed', '4.2.2', 'quota-issues'],
      ['rs', 'other@isp.example', 'delivered', '2.0.0', undefined],
    ]);
  });

  it.each([
    ['qmail', qmailBounce('nobody@old.example'), { rcpt: 'nobody@old.example', dsnStatus: '5.1.1', bounceCat: 'bad-mailbox', format: 'qmail', jobId: 'job-q', msgId: 'Q1ORIG' }],
    ['exim', eximBounce('full@exim.example'), { rcpt: 'full@exim.example', dsnStatus: '5.2.2', bounceCat: 'quota-issues', format: 'exim', msgId: 'Q1ORIG' }],
  ])('reads a %s bounce', async (_name, text, want) => {
    const r = await parseReport('bounce', input(text));
    expect(r.ok && r.kind === 'bounce' && r.records).toEqual([expect.objectContaining(want)]);
  });

  it('refuses a message that is neither a DSN nor a known bounce', async () => {
    expect(await parseReport('bounce', input('Subject: out of office\r\n\r\nI am away.\r\n'))).toEqual({ ok: false, reason: 'neither a DSN nor a recognised bounce', notReport: true });
  });
});
