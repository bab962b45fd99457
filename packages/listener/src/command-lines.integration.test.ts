/**
 * Hostile command lines, on real sockets and real Redis: lines over the limit (below) and lines with bytes a
 * client should not send. Bytes that are not UTF-8 get "500 5.5.2 Error: bad UTF-8 syntax" (the line would be
 * read with them replaced by U+FFFD: an address taken with 250 would not be the one sent), NUL bytes a syntax
 * error; the session goes on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64, CLEAR_AUTH_ALICE, ehloSession, RawSmtp, utf8 } from './testing/smtp-test-kit.js';
import { sharedTestListener } from './testing/shared-listener.js';

const t = sharedTestListener(beforeAll, afterAll, `
host-name mx.test.example
postmaster ops@ours.example
smtp-listener 127.0.0.1:0
relay-domain ours.example
${CLEAR_AUTH_ALICE}`);

const session = () => ehloSession(t);

/** Writes `bytes` bytes of `fill` without a line end, in 64 KB writes, each after the last one was flushed. */
async function writeUnended(c: RawSmtp, bytes: number, fill = 'x'): Promise<void> {
  const piece = Buffer.from(fill.repeat(64 * 1024), 'latin1');
  for (let sent = 0; sent < bytes; sent += piece.length) {
    await new Promise<void>((resolve, reject) => c.socket.write(piece, (err) => (err ? reject(err) : resolve())));
  }
}

/**
 * RFC 5321 4.5.3.1.4 and 4.2.4: "500 Line too long", and the session goes on (smtp-server answered 421 and closed).
 * The reply comes once the line passes the limit, not when it ends (a client that never ends it gets it too),
 * and the rest of the line is dropped as it arrives: nothing of it is buffered.
 */
describe('a command line over the limit (4096 bytes)', () => {
  it('gets 500 5.5.2 in one piece, and the transaction goes on', async () => {
    const c = await session();
    expect((await c.command('MAIL FROM:<sender@client.example>')).code).toBe(250);
    expect((await c.command(`RCPT TO:<${'x'.repeat(20_000)}@ours.example>`)).text).toBe('500 5.5.2 Error: line too long');
    expect((await c.command('RCPT TO:<user@ours.example>')).code).toBe(250);
    expect((await c.command('DATA')).code).toBe(354);
    c.write('Subject: after a long line\r\n\r\nbody\r\n.\r\n');
    expect((await c.read()).text).toMatch(/^250 2\.0\.0 OK queued as /);
    c.close();
  });

  it('gets one 500 when it comes in many pieces, and what follows it on the same write is read', async () => {
    const c = await session();
    for (let i = 0; i < 40; i++) c.write('y'.repeat(1000));
    c.write('z'.repeat(500) + '\r\nNOOP\r\n');
    expect((await c.read()).text).toBe('500 5.5.2 Error: line too long');
    expect((await c.read()).code).toBe(250);
    expect((await c.command('NOOP')).code).toBe(250);
    c.close();
  });

  it('counts as an unrecognized command: the 10th in a session gets 421 and the connection is closed', async () => {
    const c = await session();
    for (let i = 1; i < 10; i++) expect((await c.command('x'.repeat(17_000))).code).toBe(500);
    expect((await c.command('x'.repeat(17_000))).text).toBe('421 4.7.0 Error: too many unrecognized commands');
    await c.closedByServer();
  });

  it('is answered as soon as it passes the limit, before it ends, and the rest of it is dropped up to its end', async () => {
    const c = await session();
    c.write('MAIL FROM:<');
    await writeUnended(c, 8 * 1024);
    expect((await c.read()).text).toBe('500 5.5.2 Error: line too long');
    // megabytes more of the same line: no other reply, and its end is not taken for a command
    await writeUnended(c, 4 * 1024 * 1024, 'MAIL FROM:<a@b.example>');
    c.write('@client.example>\r\n');
    expect((await c.command('MAIL FROM:<sender@client.example>')).text).toBe('250 2.1.0 Accepted');
    expect(c.pending).toBe('');
    c.close();
  });

  it('in an AUTH exchange gets 500 5.5.6 (RFC 4954) before it ends, and ends the exchange', async () => {
    const c = await session();
    expect((await c.command('AUTH LOGIN')).code).toBe(334);
    await writeUnended(c, 64 * 1024, 'QUFB');
    expect((await c.read()).text).toBe('500 5.5.6 Authentication Exchange line is too long');
    await writeUnended(c, 256 * 1024, 'QUFB');
    c.write('\r\n');
    // the next line is a command again, not the username of the exchange that was ended
    expect((await c.command('NOOP')).code).toBe(250);
    expect((await c.command('AUTH LOGIN')).code).toBe(334);
    expect((await c.command(b64('alice'))).code).toBe(334);
    expect((await c.command(b64('s3cret'))).text).toMatch(/^235 /);
    c.close();
  });

  it('as an AUTH command with an initial response gets 500 5.5.6, and a later AUTH works', async () => {
    const c = await session();
    c.write('AUTH PLAIN ');
    await writeUnended(c, 64 * 1024, 'QUFB');
    expect((await c.read()).text).toBe('500 5.5.6 Authentication Exchange line is too long');
    c.write('\r\n');
    expect((await c.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`)).text).toMatch(/^235 /);
    c.close();
  });
});

describe('a command line that is not UTF-8', () => {
  it('is refused 500 5.5.2 whole, in a transaction that declared SMTPUTF8 too, and the transaction goes on', async () => {
    const c = await session();
    expect((await c.command(utf8('MAIL FROM:<sénder@client.example> SMTPUTF8'))).code).toBe(250);
    for (const line of ['RCPT TO:<j\xfcrgen@ours.example>', 'RCPT TO:<u\xff\xfe@ours.example>', 'RCPT TO:<user@ours.example> ORCPT=utf-8;\xc3']) {
      expect((await c.command(line)).text, JSON.stringify(line)).toBe('500 5.5.2 Error: bad UTF-8 syntax');
    }
    expect((await c.command(utf8('RCPT TO:<jürgen@ours.example>'))).code).toBe(250);
    expect((await c.command('DATA')).code).toBe(354);
    c.write('Subject: bytes\r\n\r\nbody\r\n.\r\n');
    const r = await c.read();
    expect(r.text).toMatch(/^250 2\.0\.0 OK queued as /);
    const stored = await t.store.get(/queued as (\S+)/.exec(r.text)![1]!);
    expect(stored?.mailFrom).toBe('sénder@client.example');
    expect(stored?.recipients.map((x) => x.address)).toEqual(['jürgen@ours.example']);
    c.close();
  });

  it('is refused as EHLO and as an unknown command, and a later EHLO works', async () => {
    const c = await RawSmtp.connect(t.port(), t.host());
    expect((await c.read()).code).toBe(220);
    expect((await c.command('EHLO \xff\xfe.example')).text).toBe('500 5.5.2 Error: bad UTF-8 syntax');
    expect((await c.command('\xff\xfe\xfd')).text).toBe('500 5.5.2 Error: bad UTF-8 syntax');
    expect((await c.command('EHLO client.example')).code).toBe(250);
    expect((await c.command('MAIL FROM:<s@client.example>')).code).toBe(250);
    c.close();
  });

  it('inside an AUTH exchange is answered by the exchange (501 5.5.2), which ends, and AUTH works after it', async () => {
    const c = await session();
    expect((await c.command('AUTH LOGIN')).code).toBe(334);
    expect((await c.command('\xff\xfe')).text).toMatch(/^501 5\.5\.2 /);
    expect((await c.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`)).text).toMatch(/^235 /);
    c.close();
  });
});

describe('NUL bytes in a command line', () => {
  it('make it a syntax error and the session goes on', async () => {
    const c = await session();
    expect((await c.command('NO\0OP')).text).toBe('500 5.5.2 Error: command not recognized');
    expect((await c.command('MAIL FROM:<s\0x@client.example>')).text).toMatch(/^501 5\.1\.7 /);
    expect((await c.command('MAIL FROM:<s@client.example>')).code).toBe(250);
    expect((await c.command('RCPT TO:<u\0@ours.example>')).text).toMatch(/^501 5\.1\.3 /);
    expect((await c.command('RCPT TO:<u@ours.example>')).code).toBe(250);
    c.close();
  });
});
