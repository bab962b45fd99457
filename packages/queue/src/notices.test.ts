import { describe, expect, it } from 'vitest';
import { buildBackoffNotice, noticeAddresses, sourceNoticeText } from './notices.js';

const base = { to: ['ops@example.org', 'noc@example.org'], reportingMta: 'mta.example.test', postmaster: 'postmaster@example.test', now: new Date('2026-01-02T03:04:05Z'), messageId: '<abc@mta.example.test>' };

describe('backoff notice', () => {
  it('says which queue entered backoff, by which reply and rule', () => {
    const text = buildBackoffNotice({ ...base, queue: 'slow.test/mta1', mode: 'backoff', reply: '421 4.7.0 slow down', rule: 'vmta.conf:12', until: new Date('2026-01-02T04:04:05Z') }).toString('latin1');
    const [head, body] = text.split('\r\n\r\n');
    expect(head).toContain('Subject: Queue slow.test/mta1 entered backoff mode');
    expect(head).toContain('To: ops@example.org, noc@example.org');
    expect(head).toContain('Message-ID: <abc@mta.example.test>');
    expect(head).toContain('Auto-Submitted: auto-generated');
    expect(body).toContain('Reply: 421 4.7.0 slow down');
    expect(body).toContain('Rule: vmta.conf:12');
    expect(body).toContain('Until: 2026-01-02T04:04:05.000Z');
    expect(text).not.toMatch(/[^\r]\n/);
  });

  it('says when it left backoff and what made it', () => {
    const text = buildBackoffNotice({ ...base, queue: 'slow.test/mta1', mode: 'normal', by: 'backoff-to-normal-after' }).toString('latin1');
    expect(text).toContain('Subject: Queue slow.test/mta1 left backoff mode (back to normal)');
    expect(text).toContain('By: backoff-to-normal-after');
    expect(text).not.toContain('Reply:');
  });
});

describe('disabled-source-ip-notify', () => {
  it.each<[string | undefined, string[]]>([
    [undefined, []],
    ['', []],
    ['ops@example.com', ['ops@example.com']],
    ['ops@example.com, noc@example.net ,bad', ['ops@example.com', 'noc@example.net']],
  ])('addresses of %j', (value, expected) => {
    expect(noticeAddresses(value)).toEqual(expected);
  });

  it('says which IP, which queue, why and until when', () => {
    const e = { ip: '192.0.2.7', queue: 'gmail.com/mta1', reason: '421 4.7.0 blocked', rule: 'pmta.conf:12', since: 0, until: Date.UTC(2026, 0, 2, 3, 4, 5) };
    const o = { hostName: 'mta.example', postmaster: 'postmaster@mta.example', to: ['ops@example.com'], now: new Date(0), messageId: 'x@mta.example' };
    const text = sourceNoticeText('disabled', e, o);
    expect(text).toContain('Subject: source 192.0.2.7 disabled for gmail.com/mta1\r\n');
    expect(text).toContain('Why: 421 4.7.0 blocked (rule pmta.conf:12)');
    expect(text).toContain('Enabled again at 2026-01-02T03:04:05.000Z.');
    expect(sourceNoticeText('enabled', e, o)).toContain('It is used for delivery again.');
    expect(sourceNoticeText('disabled', { ...e, until: undefined }, o)).toContain('until `vmta enable source`');
    expect(sourceNoticeText('disabled', { ...e, queue: '*' }, o)).toContain('Subject: source 192.0.2.7 disabled for every queue\r\n');
  });
});
