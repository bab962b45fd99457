import { describe, expect, it } from 'vitest';
import { replies, smtpReply, SmtpReplyError } from './smtp-reply.js';

describe('smtpReply', () => {
  it.each([
    [550, '5.7.1', 'Relaying denied', '550 5.7.1 Relaying denied'],
    [451, '4.3.0', 'Try later', '451 4.3.0 Try later'],
    [550, '5.7.1', ['first', 'second'], '550-5.7.1 first\r\n550 5.7.1 second'],
    [550, '5.7.1', 'one\r\ntwo', '550-5.7.1 one\r\n550 5.7.1 two'],
    [550, '5.7.1', 'bell\x07 and tab\tinside', '550 5.7.1 bell  and tab inside'],
    [250, '2.0.0', '', '250 2.0.0'],
  ])('formats %i %s %j as %j', (code, enhanced, text, expected) => {
    expect(smtpReply(code, enhanced, text)).toBe(expected);
  });

  it.each([
    [550, '4.7.1'],
    [450, '5.7.1'],
    [550, '5.7'],
    [550, '5.1000.1'],
    [650, '6.0.0'],
    [55, '5.0.0'],
  ])('refuses reply code %i with enhanced code %s', (code, enhanced) => {
    expect(() => smtpReply(code, enhanced, 'x')).toThrow(TypeError);
  });
});

describe('SmtpReplyError', () => {
  it('carries the enhanced code in its message, so smtp-server writes "550 5.7.1 Relaying denied" exactly once', () => {
    const e = replies.relayDenied();
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('SmtpReplyError');
    expect(`${e.responseCode} ${e.message}`).toBe('550 5.7.1 Relaying denied');
    expect(e.response).toBe('550 5.7.1 Relaying denied');
    expect(e.text).toBe('Relaying denied');
    expect(e.message.match(/5\.7\.1/g)).toHaveLength(1);
  });

  it('cannot be split into two replies by a CR LF in its text', () => {
    const e = new SmtpReplyError('VMTA_INVALID', 550, '5.7.1', 'bad\r\n250 OK');
    expect(e.message).toBe('5.7.1 bad 250 OK');
    expect(e.response).not.toContain('\n');
  });

  it('serializes to plain data with its stable code', () => {
    expect(JSON.parse(JSON.stringify(replies.tooManyRecipients()))).toEqual({
      name: 'SmtpReplyError',
      code: 'TOO_MANY_RECIPIENTS',
      responseCode: 452,
      enhancedCode: '4.5.3',
      text: 'Too many recipients',
      response: '452 4.5.3 Too many recipients',
      command: 'RCPT TO',
    });
  });

  it('tells temporary from permanent replies', () => {
    expect(replies.queueUnavailable().temporary).toBe(true);
    expect(replies.authFailed().temporary).toBe(false);
  });
});

describe('replies catalog', () => {
  it.each([
    ['relay denied', replies.relayDenied(), 'RELAY_DENIED', '550 5.7.1 Relaying denied'],
    ['relay denied under relay-debug', replies.relayDenied(true), 'RELAY_DENIED', '451 4.7.1 Relaying denied'],
    ['an invalid VMTA', replies.invalidVirtualMta('nope'), 'VMTA_INVALID', '550 5.7.1 Invalid virtual MTA nope'],
    ['too many recipients', replies.tooManyRecipients(), 'TOO_MANY_RECIPIENTS', '452 4.5.3 Too many recipients'],
    [
      'a message that is too big',
      replies.messageTooBig(1000),
      'MESSAGE_TOO_BIG',
      '552 5.3.4 Message size exceeds fixed maximum message size of 1000 bytes',
    ],
    [
      'a bare LF',
      replies.bareLineEnding('LF'),
      'BARE_LINE_ENDING',
      '550 5.6.0 Message contains a bare <LF>; lines must end with <CR><LF>',
    ],
    ['DATA past smtp-data-timeout', replies.dataTimeout('mx.example'), 'DATA_TIMEOUT', '421 4.4.2 mx.example DATA not completed in time, closing connection'],
    ['junk commands', replies.tooManyJunkCommands('mx.example'), 'TOO_MANY_JUNK_COMMANDS', '421 4.7.0 mx.example Too many commands without a message, closing connection'],
    ['an unavailable queue', replies.queueUnavailable(), 'QUEUE_UNAVAILABLE', '451 4.3.0 Temporary local problem, please try again later'],
    ['failed authentication', replies.authFailed(), 'AUTH_FAILED', '535 5.7.8 Authentication credentials invalid'],
    [
      'rate-limited authentication',
      replies.authRateLimited(),
      'AUTH_RATE_LIMITED',
      '454 4.7.0 Temporary authentication failure, too many failed attempts',
    ],
    ['required authentication', replies.authRequired(), 'AUTH_REQUIRED', '530 5.7.0 Authentication required'],
    [
      'authentication without encryption',
      replies.encryptionRequired(),
      'ENCRYPTION_REQUIRED',
      '538 5.7.11 Encryption required for requested authentication mechanism',
    ],
    ['an invalid recipient', replies.addressInvalid(), 'ADDRESS_INVALID', '553 5.1.3 Bad destination mailbox address syntax'],
    ['an invalid sender', replies.addressInvalid('sender'), 'ADDRESS_INVALID', '553 5.1.7 Bad sender mailbox address syntax'],
    ['an unparseable recipient', replies.addressSyntax(), 'ADDRESS_SYNTAX', '501 5.1.3 Bad recipient address syntax'],
  ])('answers %s with a stable code and reply', (_what, error, code, response) => {
    expect(error.code).toBe(code);
    expect(error.response).toBe(response);
    expect(`${error.responseCode} ${error.message}`).toBe(response);
  });

  it('keeps a client-chosen VMTA name short and printable in the reply', () => {
    const e = replies.invalidVirtualMta(`x\u00e9y ${'a'.repeat(100)}`);
    expect(e.text).toMatch(/^Invalid virtual MTA x\?y\?a+\.\.\.$/);
    expect(e.text.length).toBeLessThan(90);
  });
});
