import { describe, expect, it } from 'vitest';
import {
  buildReceivedHeader,
  dateHeader,
  foldField,
  formatDate,
  messageIdHeader,
  receivedProtocol,
  type ReceivedHeaderInput,
} from './received-header.js';

const date = new Date(Date.UTC(2024, 0, 5, 9, 3, 7));
const base: ReceivedHeaderInput = {
  heloName: 'client.example',
  clientIp: '192.0.2.10',
  clientHostname: 'mail.client.example',
  hostName: 'mx.ours.example',
  protocol: 'ESMTP',
  queueId: '0A1B2C3D',
  date,
  hideSource: false,
};

function lines(field: string): string[] {
  expect(field.endsWith('\r\n')).toBe(true);
  return field.slice(0, -2).split('\r\n');
}

describe('buildReceivedHeader', () => {
  it.each<[string, Partial<ReceivedHeaderInput>, string]>([
    [
      'a plain ESMTP session',
      {},
      'Received: from client.example (mail.client.example [192.0.2.10]) by mx.ours.example with ESMTP id 0A1B2C3D; Fri, 5 Jan 2024 09:03:07 +0000',
    ],
    [
      'a client without reverse DNS (smtp-server reports [ip])',
      { clientHostname: '[192.0.2.10]' },
      'Received: from client.example ([192.0.2.10]) by mx.ours.example with ESMTP id 0A1B2C3D; Fri, 5 Jan 2024 09:03:07 +0000',
    ],
    [
      'an IPv6 client',
      { clientIp: '2001:db8::1', clientHostname: undefined },
      'Received: from client.example ([IPv6:2001:db8::1]) by mx.ours.example with ESMTP id 0A1B2C3D; Fri, 5 Jan 2024 09:03:07 +0000',
    ],
    [
      'an IPv4-mapped IPv6 client',
      { clientIp: '::ffff:192.0.2.10', clientHostname: undefined },
      'Received: from client.example ([192.0.2.10]) by mx.ours.example with ESMTP id 0A1B2C3D; Fri, 5 Jan 2024 09:03:07 +0000',
    ],
    [
      'a single recipient',
      { recipient: 'rcpt@dest.example' },
      'Received: from client.example (mail.client.example [192.0.2.10]) by mx.ours.example with ESMTP id 0A1B2C3D for <rcpt@dest.example>; Fri, 5 Jan 2024 09:03:07 +0000',
    ],
    [
      'TLS and AUTH',
      { protocol: 'ESMTPSA', tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' }, authUser: 'feeder1' },
      'Received: from client.example (mail.client.example [192.0.2.10]) by mx.ours.example with ESMTPSA (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384) (authenticated as feeder1) id 0A1B2C3D; Fri, 5 Jan 2024 09:03:07 +0000',
    ],
    [
      'hide-message-source (no FROM clause, no user)',
      { hideSource: true, authUser: 'feeder1', protocol: 'ESMTPA', recipient: 'rcpt@dest.example' },
      'Received: by mx.ours.example with ESMTPA id 0A1B2C3D for <rcpt@dest.example>; Fri, 5 Jan 2024 09:03:07 +0000',
    ],
    [
      'a HELO name that tries to close the comment and inject a clause',
      { heloName: 'x) by evil (y', clientHostname: undefined },
      'Received: from x??by?evil??y ([192.0.2.10]) by mx.ours.example with ESMTP id 0A1B2C3D; Fri, 5 Jan 2024 09:03:07 +0000',
    ],
    [
      'a user name with parentheses, a backslash and a line break',
      { authUser: 'a(b)\\c\r\nX-Evil: 1' },
      'Received: from client.example (mail.client.example [192.0.2.10]) by mx.ours.example with ESMTP (authenticated as a\\(b\\)\\\\c??X-Evil: 1) id 0A1B2C3D; Fri, 5 Jan 2024 09:03:07 +0000',
    ],
    [
      'a recipient that is not plain ASCII (left out rather than mangled)',
      { recipient: 'üser@dest.example' },
      'Received: from client.example (mail.client.example [192.0.2.10]) by mx.ours.example with ESMTP id 0A1B2C3D; Fri, 5 Jan 2024 09:03:07 +0000',
    ],
    [
      'an empty HELO name',
      { heloName: '' },
      'Received: from unknown (mail.client.example [192.0.2.10]) by mx.ours.example with ESMTP id 0A1B2C3D; Fri, 5 Jan 2024 09:03:07 +0000',
    ],
  ])('writes a trace field for %s', (_what, input, unfolded) => {
    const field = buildReceivedHeader({ ...base, ...input });
    const ls = lines(field);
    for (const l of ls) expect(l.length).toBeLessThanOrEqual(78);
    for (const l of ls.slice(1)) expect(l.startsWith('\t')).toBe(true);
    expect(ls.join('').replace(/\t/g, ' ')).toBe(unfolded);
    expect(field).toMatch(/^[\x20-\x7e\t\r\n]+$/);
    expect(field.match(/\r\n/g)?.length).toBe(ls.length);
  });

  it('folds between clauses so each line stays readable', () => {
    const field = buildReceivedHeader({ ...base, protocol: 'ESMTPS', tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' } });
    expect(lines(field)).toEqual([
      'Received: from client.example (mail.client.example [192.0.2.10])',
      '\tby mx.ours.example with ESMTPS',
      '\t(version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384) id 0A1B2C3D;',
      '\tFri, 5 Jan 2024 09:03:07 +0000',
    ]);
  });

  it('never mentions a password even when the session object carries one', () => {
    const session = { ...base, authUser: 'feeder1', password: 'hunter2' } as ReceivedHeaderInput & { password: string };
    expect(buildReceivedHeader(session)).not.toContain('hunter2');
  });
});

describe('foldField', () => {
  it('keeps a single word longer than a line on its own line', () => {
    const long = 'x'.repeat(90);
    expect(lines(foldField('X-Test', ['a', long, 'b']))).toEqual(['X-Test: a', `\t${long}`, '\tb']);
  });
});

describe('receivedProtocol', () => {
  it.each([
    [false, false, false, 'SMTP'],
    [true, false, false, 'ESMTP'],
    [true, true, false, 'ESMTPS'],
    [true, false, true, 'ESMTPA'],
    [true, true, true, 'ESMTPSA'],
  ] as const)('names esmtp=%s tls=%s auth=%s as %s (RFC 3848)', (esmtp, tls, authenticated, expected) => {
    expect(receivedProtocol({ esmtp, tls, authenticated })).toBe(expected);
  });
});

describe('dateHeader and messageIdHeader', () => {
  it.each([
    [new Date(Date.UTC(2024, 0, 5, 9, 3, 7)), 'Fri, 5 Jan 2024 09:03:07 +0000'],
    [new Date(Date.UTC(1999, 11, 31, 23, 59, 59)), 'Fri, 31 Dec 1999 23:59:59 +0000'],
    [new Date(Date.UTC(2030, 5, 16, 0, 0, 0)), 'Sun, 16 Jun 2030 00:00:00 +0000'],
  ])('formats %s as the RFC 5322 date %j', (d, expected) => {
    expect(formatDate(d)).toBe(expected);
    expect(dateHeader(d)).toBe(`Date: ${expected}\r\n`);
  });

  it('refuses an invalid date', () => {
    expect(() => formatDate(new Date(Number.NaN))).toThrow(TypeError);
  });

  it.each([
    ['0A1B2C3D', 'mx.ours.example', 'Message-ID: <0A1B2C3D@mx.ours.example>\r\n'],
    ['id with spaces<>', 'MX.Ours.Example', 'Message-ID: <idwithspaces@MX.Ours.Example>\r\n'],
    ['.a..b.', '[192.0.2.1]', 'Message-ID: <a.b@192.0.2.1>\r\n'],
    ['', '', 'Message-ID: <unknown@localhost>\r\n'],
  ])('builds a Message-ID from queue id %j and host %j', (id, host, expected) => {
    expect(messageIdHeader(id, host)).toBe(expected);
  });
});
