/**
 * RFC 2034 / RFC 3463: the listener advertises ENHANCEDSTATUSCODES and every reply after EHLO (but the
 * 354 intermediate reply) carries exactly one enhanced status code of the reply's class: smtp-server's
 * own replies its code for the command, ours the code they were written with. Real sockets, real Redis.
 */
import { getTestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64, CLEAR_AUTH_ALICE, RawSmtp, startTestListener, utf8, type Reply, type TestListener } from './testing/smtp-test-kit.js';

let t: TestListener;

beforeAll(async () => {
  t = await startTestListener(await getTestRedis(), `
host-name mx.test.example
postmaster ops@ours.example
smtp-listener 127.0.0.1:0
relay-domain ours.example
${CLEAR_AUTH_ALICE}`);
});
afterAll(() => t?.close());

const ONE_CODE = /^(\d)(\d\d)[ -]([245])\.\d{1,3}\.\d{1,3} (?![245]\.\d{1,3}\.\d{1,3}\b)/;

/** Each line of the reply carries one enhanced code whose class is the reply's. */
function expectOneCode(reply: Reply): void {
  for (const line of reply.lines) {
    const m = ONE_CODE.exec(line);
    expect(m, `"${line}" carries one enhanced status code`).not.toBeNull();
    expect(m![3], `"${line}": the enhanced code's class is the reply's`).toBe(m![1]);
  }
}

describe('enhanced status codes', () => {
  it('are advertised in EHLO and carried by every later reply, exactly once', async () => {
    const c = await RawSmtp.connect(t.port(), t.host());
    expect((await c.read()).code).toBe(220);
    const ehlo = await c.command('EHLO client.example');
    expect(ehlo.lines.map((l) => l.slice(4))).toContain('ENHANCEDSTATUSCODES');

    const table: Array<[string, string]> = [
      ['RCPT TO:<user@ours.example>', '503 5.5.1'],
      ['FROB', '500 5.5.2'],
      ['MAIL FROM:<bad address>', '501 5.1.7'],
      ['MAIL FROM:<sender@client.example> RET=BOGUS', '501 5.5.4'],
      ['MAIL FROM:<sender@client.example> FOO=bar', '555 5.5.4'],
      ['MAIL FROM:<sender@client.example> REQUIRETLS', '555 5.5.4'],
      [utf8('MAIL FROM:<sénder@client.example>'), '553 5.6.7'],
      ['MAIL FROM:<sender@client.example>', '250 2.1.0'],
      ['RCPT TO:<not an address>', '501 5.1.3'],
      ['RCPT TO:<user@elsewhere.example>', '550 5.7.1'],
      [utf8('RCPT TO:<jürgen@ours.example>'), '553 5.6.7'],
      ['RCPT TO:<user@ours.example> MT-PRIORITY=2', '555 5.5.4'],
      ['RCPT TO:<user@ours.example>', '250 2.1.5'],
      ['NOOP', '250 2.0.0'],
    ];
    for (const [line, start] of table) {
      const reply = await c.command(line);
      expect(reply.text, line).toMatch(new RegExp(`^${start} `));
      expectOneCode(reply);
    }
    expect((await c.command('DATA')).code).toBe(354);
    const queued = await c.command('Subject: codes\r\n\r\nhello\r\n.');
    expect(queued.text).toMatch(/^250 2\.0\.0 OK queued as \S+$/);
    expectOneCode(queued);
    const bye = await c.command('QUIT');
    expect(bye.text).toMatch(/^221 2\.0\.0 /);
    c.close();
  });

  it('takes non-ASCII addresses in a transaction that declared SMTPUTF8', async () => {
    const c = await RawSmtp.connect(t.port(), t.host());
    await c.read();
    await c.command('EHLO client.example');
    expect((await c.command(utf8('MAIL FROM:<sénder@client.example> SMTPUTF8'))).text).toMatch(/^250 2\.1\.0 /);
    expect((await c.command(utf8('RCPT TO:<jürgen@ours.example>'))).text).toMatch(/^250 2\.1\.5 /);
    expect((await c.command('RCPT TO:<anna@ours.example> SMTPUTF8')).text).toMatch(/^555 5\.5\.4 /);
    expect((await c.command('RSET')).code).toBe(250);
    expect((await c.command('MAIL FROM:<sender@client.example>')).code).toBe(250);
    expect((await c.command(utf8('RCPT TO:<jürgen@ours.example>'))).text).toMatch(/^553 5\.6\.7 /);
    await c.command('QUIT');
    c.close();
  });

  it('answers an AUTH response it cannot decode with 501 5.5.2 and a cancelled exchange with 501 5.7.0 (RFC 4954 §4)', async () => {
    const c = await RawSmtp.connect(t.port(), t.host());
    await c.read();
    await c.command('EHLO client.example');
    const table: Array<[string, string]> = [
      ['AUTH PLAIN !!!not-base64', '501 5.5.2'],
      ['AUTH PLAIN', '334'],
      ['*', '501 5.7.0'],
      ['AUTH LOGIN', '334'],
      ['*', '501 5.7.0'],
      ['AUTH LOGIN', '334'],
      ['%%%%', '501 5.5.2'],
      ['AUTH LOGIN', '334'],
      [b64('alice'), '334'],
      ['*', '501 5.7.0'],
      ['AUTH CRAM-MD5', '334'],
      ['*', '501 5.7.0'],
      ['AUTH CRAM-MD5', '334'],
      ['no-space-here', '501 5.5.2'],
      ['AUTH FOO', '504 5.5.4'],
      [`AUTH PLAIN ${b64('\0alice\0wrong')}`, '535 5.7.8'],
      [`AUTH PLAIN ${b64('\0alice\0s3cret')}`, '235 2.7.0'],
    ];
    for (const [line, start] of table) {
      const reply = await c.command(line);
      expect(reply.text, line).toMatch(new RegExp(`^${start} `));
      if (reply.code !== 334) expectOneCode(reply);
    }
    await c.command('QUIT');
    c.close();
  });
});
