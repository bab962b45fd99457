import { describe, expect, it } from 'vitest';
import { noticeAddresses, sourceNoticeText } from './source-notice.js';

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
  });
});
