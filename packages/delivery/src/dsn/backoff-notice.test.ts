import { describe, expect, it } from 'vitest';
import { buildBackoffNotice } from './backoff-notice.js';

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
