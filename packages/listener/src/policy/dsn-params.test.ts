import { describe, expect, it } from 'vitest';
import { decodeXtext, dsnParameterError } from './dsn-params.js';

describe('dsnParameterError', () => {
  it.each([
    'MAIL FROM:<a@b.example> RET=HDRS ENVID=QQ+2B1',
    'MAIL FROM:<> RET=full',
    'mail from:<a@b.example> SIZE=10 BODY=8BITMIME',
    'RCPT TO:<x@y.example> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;x+2Bz@y.example',
    'RCPT TO:<x@y.example> NOTIFY=never',
    'RCPT TO:<x@y.example> ORCPT=utf-8;caf\\x{E9}@y.example',
    'EHLO client.example',
    'DATA',
  ])('lets a good line through: %s', (line) => {
    expect(dsnParameterError(line)).toBeUndefined();
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
    const err = dsnParameterError(line);
    expect(err?.response).toBe(`501 5.5.4 ${text}`);
    expect(err?.code).toBe('DSN_PARAMETER');
  });

  it('decodes xtext escapes with upper-case hex digits', () => {
    expect(decodeXtext('QQ+2B1+3Dx')).toBe('QQ+1=x');
  });
});
