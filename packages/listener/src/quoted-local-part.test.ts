import { describe, expect, it } from 'vitest';
import { bracketBarePath, maskQuotedLocalPart, unmaskAddress } from './quoted-local-part.js';

describe('maskQuotedLocalPart', () => {
  it.each([
    ['MAIL FROM:<"q u"@example.com>', 'MAIL FROM:<vmta.quoted.local.part@example.com>', '"q u"'],
    ['RCPT TO:<"john smith"@example.com> NOTIFY=NEVER', 'RCPT TO:<vmta.quoted.local.part@example.com> NOTIFY=NEVER', '"john smith"'],
    ['rcpt to: <"a@b"@example.com>', 'rcpt to: <vmta.quoted.local.part@example.com>', '"a@b"'],
    ['RCPT TO:<@relay.example:"x y"@example.com>', 'RCPT TO:<@relay.example:vmta.quoted.local.part@example.com>', '"x y"'],
    ['MAIL FROM:<"a\\"b c"@example.com>', 'MAIL FROM:<vmta.quoted.local.part@example.com>', '"a\\"b c"'],
  ])('%s', (line, masked, local) => {
    expect(maskQuotedLocalPart(line)).toEqual({ line: masked, local });
  });

  it.each([
    ['no quotes', 'MAIL FROM:<a@example.com>'],
    ['the null sender', 'MAIL FROM:<>'],
    ['an unclosed quote', 'MAIL FROM:<"a b@example.com>'],
    ['a control character inside', 'MAIL FROM:<"a\tb"@example.com>'],
    ['a quote not at the start of the local part', 'MAIL FROM:<a"b c"@example.com>'],
    ['no domain', 'RCPT TO:<"a b">'],
  ])('leaves alone %s', (_what, line) => {
    expect(maskQuotedLocalPart(line)).toBeUndefined();
  });
});

describe('unmaskAddress', () => {
  it('puts the quoted local part back, and refuses an address that is not the stand-in', () => {
    expect(unmaskAddress('vmta.quoted.local.part@example.com', '"q u"')).toBe('"q u"@example.com');
    expect(unmaskAddress('other@example.com', '"q u"')).toBeUndefined();
  });
});

describe('bracketBarePath', () => {
  it.each([
    ['MAIL FROM:a@example.com', 'MAIL FROM:<a@example.com>'],
    ['MAIL FROM: a@example.com SIZE=100', 'MAIL FROM: <a@example.com> SIZE=100'],
    ['rcpt to:b@example.net', 'rcpt to:<b@example.net>'],
    ['MAIL FROM:<a@example.com>', 'MAIL FROM:<a@example.com>'],
    ['MAIL FROM:', 'MAIL FROM:'],
    ['MAIL FROM:nobody', 'MAIL FROM:nobody'],
  ])('%s', (line, expected) => {
    expect(bracketBarePath(line)).toBe(expected);
  });
});
