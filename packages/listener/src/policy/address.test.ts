import { describe, expect, it } from 'vitest';
import { analyzeAddress, normalizeMailDomain, senderAsSent, type AddressTrick } from './address.js';
import { SmtpReplyError } from './smtp-reply.js';

type Row = [input: string, local: string, domain: string, routingDomain: string, tricks: AddressTrick[]];

describe('analyzeAddress', () => {
  it.each<Row>([
    ['user@example.com', 'user', 'example.com', 'example.com', []],
    ['User.Name+tag@Example.COM', 'User.Name+tag', 'example.com', 'example.com', []],
    ['<user@example.com>', 'user', 'example.com', 'example.com', []],
    ['user@example.com.', 'user', 'example.com', 'example.com', ['trailing-dot']],
    // smtp-server hands the domain over in Unicode even when the client sent punycode.
    ['user@bücher.example', 'user', 'xn--bcher-kva.example', 'xn--bcher-kva.example', []],
    ['user@XN--BCHER-KVA.example', 'user', 'xn--bcher-kva.example', 'xn--bcher-kva.example', []],
    ['user@ours．example', 'user', 'ours.example', 'ours.example', []],
    ['üser@example.com', 'üser', 'example.com', 'example.com', []],
    ['a%evil.com@ours.example', 'a%evil.com', 'ours.example', 'evil.com', ['percent-hack']],
    ['a%b%evil.com@ours.example', 'a%b%evil.com', 'ours.example', 'evil.com', ['percent-hack']],
    ['50%off@ours.example', '50%off', 'ours.example', 'off', ['percent-hack']],
    ['50%@ours.example', '50%', 'ours.example', 'ours.example', ['percent-hack']],
    ['evil.com!a@ours.example', 'evil.com!a', 'ours.example', 'evil.com', ['bang-path']],
    ['@ours.example:a@elsewhere.example', 'a', 'elsewhere.example', 'elsewhere.example', ['source-route']],
    ['<@a.example,@b.example:a@elsewhere.example>', 'a', 'elsewhere.example', 'elsewhere.example', ['source-route']],
    ['"a@evil.com"@ours.example', '"a@evil.com"', 'ours.example', 'ours.example', ['quoted-at']],
    ['"a%evil.com"@ours.example', '"a%evil.com"', 'ours.example', 'evil.com', ['percent-hack']],
    ['"a\\"b"@ours.example', '"a\\"b"', 'ours.example', 'ours.example', []],
    ['"ab"@ours.example', '"ab"', 'ours.example', 'ours.example', []],
    // RFC 5321 §4.1.2: Quoted-string = DQUOTE *QcontentSMTP DQUOTE, so it may be empty.
    ['""@ours.example', '""', 'ours.example', 'ours.example', []],
    ['user@[192.0.2.1]', 'user', '[192.0.2.1]', '[192.0.2.1]', ['address-literal']],
    ['user@[IPv6:2001:DB8:0:0::1]', 'user', '[ipv6:2001:db8::1]', '[ipv6:2001:db8::1]', ['address-literal']],
    ['@x.example:a%b.example@[192.0.2.1]', 'a%b.example', '[192.0.2.1]', 'b.example', ['source-route', 'percent-hack', 'address-literal']],
  ])('reads %j as local %j at %j, routed to %j, with tricks %j', (input, local, domain, routingDomain, tricks) => {
    const a = analyzeAddress(input);
    expect(a).toEqual({ address: `${local}@${domain}`, local, domain, routingDomain, tricks });
  });

  it.each([
    ['an empty address', ''],
    ['a domainless postmaster', 'postmaster'],
    ['no local part', '@example.com'],
    ['no domain', 'user@'],
    ['two unquoted @', 'a@b@example.com'],
    ['a space in the local part', 'a b@example.com'],
    ['a comment in the local part', 'a(x)@example.com'],
    ['a leading dot', '.a@example.com'],
    ['consecutive dots', 'a..b@example.com'],
    ['an unclosed quote', '"ab@example.com'],
    ['a CR LF', 'a@example.com\r\nRCPT TO:<b@example.com>'],
    ['two trailing dots', 'a@example.com..'],
    ['an empty label', 'a@example..com'],
    ['a label starting with a hyphen', 'a@-example.com'],
    ['a percent-encoded domain', 'a@ex%41mple.com'],
    ['a percent-encoded IDN', 'a@ex%41mple.cöm'],
    ['a numeric top-level label (an IP without brackets)', 'a@192.0.2.1'],
    ['a short IPv4 literal', 'a@[192.0.2]'],
    ['an IPv4 literal with leading zeros', 'a@[192.000.2.1]'],
    ['an untagged IPv6 literal', 'a@[2001:db8::1]'],
    ['an IPv6 tag on an IPv4 address', 'a@[IPv6:192.0.2.1]'],
    ['a general address literal', 'a@[x-tag:abc]'],
    ['a malformed source route', '@ours.example a@b.example'],
    ['an overlong address', `${'a'.repeat(250)}@example.com`],
  ])('refuses %s with 553 5.1.3', (_what, input) => {
    const e = (() => {
      try {
        analyzeAddress(input);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(SmtpReplyError);
    expect((e as SmtpReplyError).response).toBe('553 5.1.3 Bad destination mailbox address syntax');
    expect((e as SmtpReplyError).code).toBe('ADDRESS_INVALID');
  });

  it('answers an unparseable sender with 553 5.1.7', () => {
    expect(() => analyzeAddress('a b@c.example', { role: 'sender' })).toThrow(
      expect.objectContaining({ responseCode: 553, enhancedCode: '5.1.7' }),
    );
  });
});

describe('normalizeMailDomain', () => {
  it.each([
    ['Example.COM', 'example.com'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['under_score.example', 'under_score.example'],
    ['localhost', 'localhost'],
    ['ex ample.com', undefined],
    ['example.com.', undefined],
    ['10.0.0.1', undefined],
  ])('normalizes %j to %j', (input, expected) => {
    expect(normalizeMailDomain(input)).toBe(expected);
  });
});

describe('senderAsSent', () => {
  it.each([
    ['a@bücher.example', false, 'a@xn--bcher-kva.example'],
    ['a@bücher.example', true, 'a@bücher.example'],
    ['a@plain.example', false, 'a@plain.example'],
    ['"x@y"@bücher.example', false, '"x@y"@xn--bcher-kva.example'],
    ['', false, ''],
    ['a@[192.0.2.1]', false, 'a@[192.0.2.1]'],
  ])('keeps %j (SMTPUTF8 %s) as %j', (address, utf8, expected) => {
    expect(senderAsSent(address, utf8)).toBe(expected);
  });
});
