import { describe, expect, it } from 'vitest';
import { declaresSmtputf8, decodeXtext, esmtpParameterError } from './esmtp-params.js';

describe('esmtpParameterError', () => {
  it.each([
    'MAIL FROM:<a@b.example> RET=HDRS ENVID=QQ+2B1',
    'MAIL FROM:<> RET=full',
    'mail from:<a@b.example> SIZE=10 BODY=8BITMIME',
    'RCPT TO:<x@y.example> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;x+2Bz@y.example',
    'RCPT TO:<x@y.example> NOTIFY=never',
    'RCPT TO:<x@y.example> ORCPT=utf-8;caf\\x{E9}@y.example',
    'EHLO client.example',
    'DATA',
    'MAIL FROM:<a@b.example> SMTPUTF8 BODY=8BITMIME SIZE=100 AUTH=<>',
    'MAIL FROM: <a@b.example>',
    'RCPT TO:<postmaster>',
    'MAIL FROM:<bad address>',
    'MAIL FROM:<"a b>c"@b.example> BODY=7BIT',
    'MAIL FROM:a@b.example SIZE=5',
    'MAIL FROM:<unclosed FOO=bar',
  ])('lets a good line through: %s', (line) => {
    expect(esmtpParameterError(line)).toBeUndefined();
  });

  it.each([
    ['a RET other than FULL or HDRS', 'MAIL FROM:<a@b.example> RET=BODY', 'Invalid RET parameter value: must be FULL or HDRS'],
    ['a RET without a value', 'MAIL FROM:<a@b.example> RET', 'RET parameter requires a value'],
    ['an ENVID with a lower-case xtext escape', 'MAIL FROM:<a@b.example> ENVID=a+2b', 'Invalid ENVID parameter: not xtext (RFC 3461)'],
    ['an ENVID with a bare +', 'MAIL FROM:<a@b.example> ENVID=a+b', 'Invalid ENVID parameter: not xtext (RFC 3461)'],
    ['an ENVID with an encoded CR LF', 'MAIL FROM:<a@b.example> ENVID=a+0D+0Ab', 'Invalid ENVID parameter: only printable US-ASCII allowed'],
    ['an ENVID with raw 8-bit text', 'MAIL FROM:<a@b.example> ENVID=café', 'Invalid ENVID parameter: not xtext (RFC 3461)'],
    ['an ENVID over 100 characters', `MAIL FROM:<a@b.example> ENVID=${'x'.repeat(101)}`, 'Invalid ENVID parameter: longer than 100 characters'],
    ['ENVID twice', 'MAIL FROM:<a@b.example> ENVID=a ENVID=b', 'Duplicate ENVID parameter'],
    ['an unknown NOTIFY value', 'RCPT TO:<x@y.example> NOTIFY=ALWAYS', 'Invalid NOTIFY parameter value: must be NEVER or a list of SUCCESS, FAILURE, DELAY'],
    ['NEVER with another value', 'RCPT TO:<x@y.example> NOTIFY=NEVER,FAILURE', 'Invalid NOTIFY parameter value: NEVER cannot be combined with other values'],
    ['a repeated NOTIFY value', 'RCPT TO:<x@y.example> NOTIFY=FAILURE,FAILURE', 'Invalid NOTIFY parameter value: a value is repeated'],
    ['an ORCPT without addr-type', 'RCPT TO:<x@y.example> ORCPT=x@y.example', 'Invalid ORCPT parameter: must be addr-type;xtext'],
    ['an ORCPT whose address is not xtext', 'RCPT TO:<x@y.example> ORCPT=rfc822;a+b@y.example', 'Invalid ORCPT parameter: not xtext (RFC 3461)'],
    ['an ORCPT over 500 characters', `RCPT TO:<x@y.example> ORCPT=rfc822;${'x'.repeat(500)}`, 'Invalid ORCPT parameter: longer than 500 characters'],
  ])('answers 501 5.5.4 to %s', (_what, line, text) => {
    const err = esmtpParameterError(line);
    expect(err?.response).toBe(`501 5.5.4 ${text}`);
    expect(err?.code).toBe('DSN_PARAMETER');
  });

  it.each([
    ['an unknown keyword with a value', 'MAIL FROM:<a@b.example> FOO=bar', 'MAIL FROM', 'Unsupported option: FOO=bar'],
    ['an unknown keyword after known ones', 'MAIL FROM:<a@b.example> SIZE=10 XVERP', 'MAIL FROM', 'Unsupported option: XVERP'],
    ['REQUIRETLS, which we do not carry to the next hop', 'MAIL FROM:<a@b.example> REQUIRETLS', 'MAIL FROM', 'Unsupported option: REQUIRETLS'],
    ['MT-PRIORITY', 'mail from:<a@b.example> MT-PRIORITY=3', 'MAIL FROM', 'Unsupported option: MT-PRIORITY=3'],
    ['a MAIL FROM keyword on RCPT TO', 'RCPT TO:<x@y.example> SIZE=10', 'RCPT TO', 'Unsupported option: SIZE=10'],
    ['SMTPUTF8 on RCPT TO (only MAIL FROM declares it)', 'RCPT TO:<jürgen@example.org> SMTPUTF8', 'RCPT TO', 'Unsupported option: SMTPUTF8'],
    ['a DSN keyword of RCPT TO on MAIL FROM', 'MAIL FROM:<a@b.example> NOTIFY=NEVER', 'MAIL FROM', 'Unsupported option: NOTIFY=NEVER'],
    ['an unknown keyword after a path with a quoted ">"', 'MAIL FROM:<"a>b"@b.example> FOO', 'MAIL FROM', 'Unsupported option: FOO'],
    ['an unknown keyword after a bare path', 'MAIL FROM:a@b.example FOO', 'MAIL FROM', 'Unsupported option: FOO'],
    ['a long unknown parameter, cut in the reply', `RCPT TO:<x@y.example> X=${'y'.repeat(200)}`, 'RCPT TO', `Unsupported option: X=${'y'.repeat(62)}...`],
  ])('answers 555 5.5.4 to %s', (_what, line, command, text) => {
    const err = esmtpParameterError(line);
    expect(err?.response).toBe(`555 5.5.4 ${text}`);
    expect(err?.code).toBe('UNSUPPORTED_PARAMETER');
    expect(err?.command).toBe(command);
  });

  it.each([
    ['a non-ASCII sender without SMTPUTF8', 'MAIL FROM:<usér@example.org>', false, 'MAIL FROM'],
    ['a non-ASCII sender domain without SMTPUTF8', 'MAIL FROM:<a@bücher.example> BODY=8BITMIME', false, 'MAIL FROM'],
    ['a non-ASCII recipient in a transaction without SMTPUTF8', 'RCPT TO:<jürgen@example.org>', false, 'RCPT TO'],
  ])('answers 553 5.6.7 to %s', (_what, line, mailSmtputf8, command) => {
    const err = esmtpParameterError(line, mailSmtputf8);
    expect(err?.response).toBe('553 5.6.7 Must declare SMTPUTF8 to send a non-ASCII address');
    expect(err?.code).toBe('SMTPUTF8_REQUIRED');
    expect(err?.command).toBe(command);
  });

  it.each([
    ['MAIL FROM:<usér@example.org> SMTPUTF8', false],
    ['MAIL FROM:<a@xn--bcher-kva.example>', false],
    ['RCPT TO:<jürgen@example.org>', true],
    ['RCPT TO:<jurgen@example.org>', false],
  ])('takes %s (transaction declared SMTPUTF8: %s)', (line, mailSmtputf8) => {
    expect(esmtpParameterError(line, mailSmtputf8)).toBeUndefined();
  });

  it('reads SMTPUTF8 from the MAIL FROM smtp-server kept', () => {
    expect(declaresSmtputf8({ args: { SMTPUTF8: true, BODY: '8BITMIME' } })).toBe(true);
    expect(declaresSmtputf8({ args: { BODY: '8BITMIME' } })).toBe(false);
    expect(declaresSmtputf8({ args: false })).toBe(false);
    expect(declaresSmtputf8(false)).toBe(false);
    expect(declaresSmtputf8(undefined)).toBe(false);
  });

  it('decodes xtext escapes with upper-case hex digits', () => {
    expect(decodeXtext('QQ+2B1+3Dx')).toBe('QQ+1=x');
  });
});
