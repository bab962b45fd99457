import type { RecipientRecord, StoredMessage } from '@vmta/queue';
import { simpleParser, type ParsedMail } from 'mailparser';
import { describe, expect, it } from 'vitest';
import type { RecipientOutcome } from '../worker/outcomes.js';
import { buildDsn, dsnStatus, type BuildDsnInput, type DsnRecipient } from './build-dsn.js';

const HEADERS = 'From: alice@example.org\r\nTo: bob@example.com\r\nSubject: hello\r\nMessage-ID: <m1@example.org>\r\n\r\n';
const BODY_TEXT = 'The secret body line\r\n';

function message(overrides: Partial<StoredMessage> = {}): StoredMessage {
  const body = Buffer.from(HEADERS + BODY_TEXT);
  return {
    id: 'Q0000000001',
    mailFrom: 'alice@example.org',
    vmta: 'mta1',
    source: { ip: '192.0.2.7', listener: '0.0.0.0:25', heloName: 'client.example.org' },
    receivedAt: Date.UTC(2024, 0, 2, 3, 4, 5),
    size: body.length,
    recipients: [],
    body,
    ...overrides,
  };
}

function rcpt(address: string, extra: Partial<RecipientRecord> = {}, result: Partial<RecipientOutcome> = {}): DsnRecipient {
  return {
    recipient: { address, domain: address.split('@')[1] ?? '', index: 0, queue: 'example.com/mta1', state: 'bounced', attempts: 1, ...extra },
    result: { outcome: 'bounced', code: 550, enhancedCode: '5.1.1', response: '550 5.1.1 <bob@example.com>: User unknown', category: 'bad-mailbox', ...result },
    remoteMta: 'mx1.example.com',
  };
}

function input(overrides: Partial<BuildDsnInput> = {}): BuildDsnInput {
  return {
    message: message(),
    recipients: [rcpt('bob@example.com')],
    action: 'failed',
    reportingMta: 'mta.example.net',
    postmaster: 'postmaster@mta.example.net',
    now: new Date(Date.UTC(2024, 0, 3, 0, 0, 0)),
    messageId: 'D0000000001@mta.example.net',
    ...overrides,
  };
}

async function parse(dsn: Buffer | undefined): Promise<ParsedMail> {
  expect(dsn).toBeInstanceOf(Buffer);
  return simpleParser(dsn!, { keepDeliveryStatus: true });
}

/** The delivery-status part as field groups: per-message fields first, then one per recipient. */
function statusGroups(mail: ParsedMail): Array<Record<string, string>> {
  const part = mail.attachments.find((a) => a.contentType === 'message/delivery-status');
  expect(part).toBeDefined();
  return part!.content
    .toString('ascii')
    .replace(/\r\n[ \t]+/g, ' ')
    .split(/\r\n\r\n/)
    .filter((g) => g.trim() !== '')
    .map((g) => Object.fromEntries(g.split('\r\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()])));
}

function expectWireSafe(dsn: Buffer): void {
  const text = dsn.toString('latin1');
  expect(text).not.toMatch(/\r(?!\n)|(?<!\r)\n/);
  expect(text.endsWith('\r\n')).toBe(true);
  for (const line of text.split('\r\n')) expect(Buffer.byteLength(line, 'latin1')).toBeLessThanOrEqual(998);
}

describe('buildDsn: whether a notification is due', () => {
  it.each([
    { notify: undefined, action: 'failed', due: true },
    { notify: undefined, action: 'delayed', due: false },
    { notify: [], action: 'failed', due: true },
    { notify: ['NEVER'], action: 'failed', due: false },
    { notify: ['NEVER'], action: 'delayed', due: false },
    { notify: ['FAILURE'], action: 'failed', due: true },
    { notify: ['FAILURE'], action: 'delayed', due: false },
    { notify: ['DELAY'], action: 'delayed', due: true },
    { notify: ['DELAY'], action: 'failed', due: false },
    { notify: ['SUCCESS'], action: 'failed', due: false },
    { notify: ['SUCCESS', 'FAILURE', 'DELAY'], action: 'delayed', due: true },
    { notify: ['failure'], action: 'failed', due: true },
    { notify: undefined, action: 'relayed', due: false },
    { notify: ['FAILURE', 'DELAY'], action: 'relayed', due: false },
    { notify: ['SUCCESS'], action: 'relayed', due: true },
    { notify: ['SUCCESS'], action: 'delivered', due: true },
    { notify: ['NEVER'], action: 'relayed', due: false },
  ] as const)('with NOTIFY=$notify a $action recipient gets a notification: $due', ({ notify, action, due }) => {
    const dsn = buildDsn(input({ action, recipients: [rcpt('bob@example.com', notify ? { notify: [...notify] } : {})] }));
    expect(dsn !== undefined).toBe(due);
  });

  it.each(['', '<>', ' '])('never bounces a message from the null sender %j', (mailFrom) => {
    for (const action of ['failed', 'delayed'] as const) {
      const recipients = [rcpt('bob@example.com', { notify: ['FAILURE', 'DELAY'] })];
      expect(buildDsn(input({ action, message: message({ mailFrom }), recipients }))).toBeUndefined();
    }
  });

  it('reports only the recipients whose NOTIFY asks for this action', async () => {
    const recipients = [rcpt('never@example.com', { notify: ['NEVER'] }), rcpt('default@example.com'), rcpt('delay@example.com', { notify: ['DELAY'] })];
    const groups = statusGroups(await parse(buildDsn(input({ recipients }))));
    expect(groups.slice(1).map((g) => g['Final-Recipient'])).toEqual(['rfc822; default@example.com']);
  });
});

describe('buildDsn: the report', () => {
  it('is a multipart/report of delivery-status with the notification headers', async () => {
    const dsn = buildDsn(input());
    const mail = await parse(dsn);
    expect(mail.headers.get('content-type')).toMatchObject({ value: 'multipart/report', params: { 'report-type': 'delivery-status' } });
    expect(mail.from?.value).toEqual([{ address: 'postmaster@mta.example.net', name: 'Mail Delivery System' }]);
    expect((Array.isArray(mail.to) ? mail.to[0] : mail.to)?.value[0]?.address).toBe('alice@example.org');
    expect(mail.subject).toBe('Undelivered Mail Returned to Sender');
    expect(mail.headers.get('auto-submitted')).toBe('auto-replied');
    expect(mail.messageId).toBe('<D0000000001@mta.example.net>');
    expect(mail.date?.toISOString()).toBe('2024-01-03T00:00:00.000Z');
    expect(mail.headers.get('mime-version')).toBe('1.0');
    expect(mail.text).toContain('<bob@example.com>: host mx1.example.com said: 550 5.1.1');
    expect(mail.attachments.map((a) => a.contentType)).toEqual(['message/delivery-status', 'text/rfc822-headers']);
    expectWireSafe(dsn!);
  });

  it('puts the per-message and per-recipient fields in the delivery-status part', async () => {
    const recipients = [
      rcpt('bob@example.com', { orcpt: 'rfc822;Bob@Example.com' }),
      { ...rcpt('carol@example.com', {}, { code: 554, enhancedCode: undefined, response: '554 rejected' }), remoteMta: undefined },
    ];
    const groups = statusGroups(await parse(buildDsn(input({ recipients, message: message({ envId: 'env-42' }) }))));
    expect(groups[0]).toEqual({
      'Original-Envelope-Id': 'env-42',
      'Reporting-MTA': 'dns; mta.example.net',
      'Received-From-MTA': 'dns; client.example.org',
      'Arrival-Date': 'Tue, 02 Jan 2024 03:04:05 +0000',
    });
    expect(groups[1]).toEqual({
      'Original-Recipient': 'rfc822;Bob@Example.com',
      'Final-Recipient': 'rfc822; bob@example.com',
      Action: 'failed',
      Status: '5.1.1',
      'Remote-MTA': 'dns; mx1.example.com',
      'Diagnostic-Code': 'smtp; 550 5.1.1 <bob@example.com>: User unknown',
      'Last-Attempt-Date': 'Wed, 03 Jan 2024 00:00:00 +0000',
    });
    expect(groups[2]).toEqual({
      'Final-Recipient': 'rfc822; carol@example.com',
      Action: 'failed',
      Status: '5.0.0',
      'Diagnostic-Code': 'smtp; 554 rejected',
      'Last-Attempt-Date': 'Wed, 03 Jan 2024 00:00:00 +0000',
    });
  });

  it('puts the reply code and status before an outcome made here, so the smtp Diagnostic-Code is an SMTP reply (RFC 3464 §2.3.6)', async () => {
    const recipients = [
      { ...rcpt('bob@example.com', {}, { code: 554, enhancedCode: '5.0.0', response: 'deleted by the operator' }), remoteMta: undefined },
      { ...rcpt('carol@example.com', {}, { code: 550, enhancedCode: '5.4.7', response: 'message expired: not delivered within bounce-after (60s)' }), remoteMta: undefined },
    ];
    const groups = statusGroups(await parse(buildDsn(input({ recipients }))));
    expect(groups[1]?.['Diagnostic-Code']).toBe('smtp; 554 5.0.0 deleted by the operator');
    expect(groups[2]?.['Diagnostic-Code']).toBe('smtp; 550 5.4.7 message expired: not delivered within bounce-after (60s)');
  });

  it('leaves out Original-Envelope-Id when the message had no ENVID', async () => {
    expect(statusGroups(await parse(buildDsn(input())))[0]).not.toHaveProperty('Original-Envelope-Id');
  });

  it('reports a delay with its own subject, a warning and Action: delayed', async () => {
    const recipients = [rcpt('bob@example.com', { notify: ['DELAY'] }, { outcome: 'deferred', code: 451, enhancedCode: '4.7.1', response: '451 4.7.1 greylisted' })];
    const mail = await parse(buildDsn(input({ action: 'delayed', recipients })));
    expect(mail.subject).toBe('Delivery Status Notification (Delay)');
    expect(mail.text).toContain('THIS IS A WARNING ONLY');
    expect(statusGroups(mail)[1]).toMatchObject({ Action: 'delayed', Status: '4.7.1', 'Diagnostic-Code': 'smtp; 451 4.7.1 greylisted' });
  });

  it.each([
    { code: 550, enhancedCode: '5.1.1', action: 'failed', status: '5.1.1' },
    { code: 550, enhancedCode: undefined, action: 'failed', status: '5.0.0' },
    { code: 451, enhancedCode: undefined, action: 'delayed', status: '4.0.0' },
    { code: 421, enhancedCode: 'not-a-code', action: 'failed', status: '4.0.0' },
    { code: 451, enhancedCode: '4.4.7', action: 'failed', status: '4.4.7' },
    { code: 0, enhancedCode: undefined, action: 'failed', status: '5.0.0' },
  ] as const)('gives reply $code ($enhancedCode) for a $action recipient the status $status', ({ code, enhancedCode, action, status }) => {
    expect(dsnStatus({ code, enhancedCode }, action)).toBe(status);
  });

  it('writes a non-ASCII recipient as a utf-8 address with RFC 6533 escapes', async () => {
    const groups = statusGroups(await parse(buildDsn(input({ recipients: [rcpt('jörg@example.com')] }))));
    expect(groups[1]?.['Final-Recipient']).toBe('utf-8; j\\x{00F6}rg@example.com');
  });

  it('builds the same bytes from the same input', () => {
    expect(buildDsn(input())!.equals(buildDsn(input())!)).toBe(true);
  });
});

describe('buildDsn: the returned message', () => {
  it.each([undefined, 'HDRS'] as const)('returns only the headers as text/rfc822-headers when RET=%s', async (ret) => {
    const mail = await parse(buildDsn(input({ message: message({ ret }) })));
    const returned = mail.attachments[1];
    expect(returned?.contentType).toBe('text/rfc822-headers');
    expect(returned?.content.toString()).toBe(HEADERS.slice(0, -4));
    expect(returned?.content.toString()).not.toContain('secret body');
  });

  it('returns the whole message as message/rfc822 when RET=FULL', async () => {
    const mail = await parse(buildDsn(input({ message: message({ ret: 'FULL' }) })));
    const returned = mail.attachments[1];
    expect(returned?.contentType).toBe('message/rfc822');
    expect(returned?.content.toString()).toBe(HEADERS + BODY_TEXT.slice(0, -2));
    const inner = await simpleParser(returned!.content);
    expect(inner.subject).toBe('hello');
    expect(inner.text?.trim()).toBe('The secret body line');
  });

  it('returns only the headers when a RET=FULL message is over the size cap, and says so', async () => {
    const body = Buffer.from(HEADERS + 'x'.repeat(76).concat('\r\n').repeat(2000));
    const dsn = buildDsn(input({ message: message({ ret: 'FULL', body, size: body.length }) }))!;
    const mail = await parse(dsn);
    expect(mail.attachments[1]?.contentType).toBe('text/rfc822-headers');
    expect(mail.text).toContain('too large to return in full');
    expect(dsn.length).toBeLessThan(10_000);
  });

  it('never returns more header bytes than the cap, and only whole header fields', async () => {
    const fields = Array.from({ length: 3000 }, (_, i) => `X-Filler-${i}: ${'y'.repeat(60)}\r\n ${'z'.repeat(30)}\r\n`).join('');
    const body = Buffer.from(`Subject: big\r\n${fields}\r\nbody\r\n`);
    const dsn = buildDsn(input({ message: message({ body, size: body.length }), maxReturnBytes: 100 * 1024 }))!;
    const returned = (await parse(dsn)).attachments[1]!.content.toString();
    expect(returned.length).toBeLessThanOrEqual(100 * 1024);
    expect(returned.length).toBeGreaterThan(90 * 1024);
    expect(returned).toMatch(/ z{30}$/);
    expect(dsn.length).toBeLessThan(110 * 1024);
  });

  it('keeps to CRLF and lines of at most 998 octets whatever the original and the reply look like', async () => {
    const longReply = `550 ${'ünicode-'.repeat(700)} ${'a'.repeat(5000)}\r\nsecond line`;
    const body = Buffer.from(`Subject: lf only\nX-Long: ${'q'.repeat(3000)}\n\nbody\n`);
    for (const ret of ['FULL', 'HDRS'] as const) {
      const dsn = buildDsn(input({ message: message({ ret, body, size: body.length }), recipients: [rcpt('bob@example.com', {}, { response: longReply })] }))!;
      expectWireSafe(dsn);
      const mail = await parse(dsn);
      expect(mail.attachments[1]?.contentType).toBe('text/rfc822-headers');
      expect(statusGroups(mail)[1]?.['Diagnostic-Code']).toMatch(/^smtp; 550 \\x\{00FC\}nicode-/);
    }
  });

  it('marks the returned part 8bit when the original has 8-bit headers', async () => {
    const body = Buffer.from('Subject: Grüße\r\nFrom: alice@example.org\r\n\r\nHallo\r\n', 'utf8');
    const dsn = buildDsn(input({ message: message({ ret: 'FULL', body, size: body.length }) }))!;
    expect(dsn.toString('latin1')).toMatch(/Content-Type: message\/rfc822\r\nContent-Description: Undelivered Message\r\nContent-Transfer-Encoding: 8bit/);
    expectWireSafe(dsn);
    const inner = await simpleParser((await parse(dsn)).attachments[1]!.content);
    expect(inner.subject).toBe('Grüße');
  });
});

describe('buildDsn: a notice of success (NOTIFY=SUCCESS)', () => {
  const relayed = (ret?: 'FULL' | 'HDRS') =>
    input({
      action: 'relayed',
      message: message({ envId: 'QQ+1', ...(ret ? { ret } : {}) }),
      recipients: [
        rcpt('bob@example.com', { notify: ['SUCCESS'], orcpt: 'rfc822;Bob.Original@example.com', state: 'delivered' }, { outcome: 'delivered', code: 250, enhancedCode: '2.0.0', response: '250 2.0.0 OK queued' }),
      ],
    });

  it('reports Action relayed with a 2.x.x Status, Original-Envelope-Id and Original-Recipient', async () => {
    const mail = await parse(buildDsn(relayed()));
    expect(mail.subject).toBe('Delivery Status Notification (Relayed)');
    const [perMessage, bob] = statusGroups(mail);
    expect(perMessage?.['Original-Envelope-Id']).toBe('QQ+1');
    expect(bob).toMatchObject({ 'Original-Recipient': 'rfc822;Bob.Original@example.com', Action: 'relayed', Status: '2.0.0' });
  });

  it('returns the headers only even with RET=FULL (RFC 3461 §4.3: RET is about failures)', async () => {
    const mail = await parse(buildDsn(relayed('FULL')));
    expect(mail.attachments[1]?.contentType).toBe('text/rfc822-headers');
    expect(mail.attachments[1]?.content.toString()).not.toContain('secret body');
  });

  it('takes 2.0.0 for a 250 without an enhanced code', () => {
    expect(dsnStatus({ code: 250 }, 'relayed')).toBe('2.0.0');
  });
});
