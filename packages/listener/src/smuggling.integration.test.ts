import { getTestRedis } from '@vmta/testing';
/**
 * SMTP smuggling and STARTTLS command injection, on raw sockets. smtp-server's data parser
 * (lib/smtp-stream.js) ends DATA only at CR LF "." CR LF; everything else is message content, which the
 * listener then rejects when it holds a bare CR or LF. So the text after a fake terminator is never
 * parsed as commands, and no second message can be queued.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates, RawSmtp, startTestListener, type TestCertificates, type TestListener } from './testing/smtp-test-kit.js';

let t: TestListener;
let certs: TestCertificates;

beforeAll(async () => {
  certs = await makeCertificates();
  t = await startTestListener(await getTestRedis(), `
smtp-listener 127.0.0.1:0
smtp-server-tls-certificate ${certs.plain}
relay-domain dest.example
<source 0/0>
  allow-starttls yes
</source>
`);
});
afterAll(async () => {
  await t?.close();
  certs?.cleanup();
});

const SMUGGLED = 'MAIL FROM:<evil@attacker.example>\r\nRCPT TO:<victim@dest.example>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n.\r\n';

describe('SMTP smuggling', () => {
  it.each([
    ['\\n.\\n', '\n.\n', 'LF'],
    ['\\r.\\r', '\r.\r', 'CR'],
    ['\\r\\n.\\n', '\r\n.\n', 'LF'],
    ['\\n.\\r\\n', '\n.\r\n', 'LF'],
    ['\\r.\\r\\n', '\r.\r\n', 'CR'],
    ['\\r\\n.\\r', '\r\n.\r', 'CR'],
  ])('rejects a message with the fake terminator %s as one message and never parses what follows it', async (_name, fake, kind) => {
    for (const split of [false, true]) {
      const c = await RawSmtp.connect(t.port(), t.host());
      await c.read();
      await c.command('EHLO client.example');
      expect((await c.command('MAIL FROM:<sender@client.example>')).code).toBe(250);
      expect((await c.command('RCPT TO:<rcpt@dest.example>')).code).toBe(250);
      expect((await c.command('DATA')).code).toBe(354);
      const head = `Subject: real\r\n\r\nhello${fake}`;
      if (split) {
        c.write(head);
        await new Promise((r) => setImmediate(r));
        c.write(SMUGGLED);
      } else {
        c.write(head + SMUGGLED);
      }
      const r = await c.read();
      expect(r.text).toBe(`550 5.6.0 Message contains a bare <${kind}>; lines must end with <CR><LF>`);
      // The next reply answers our NOOP: no reply to a smuggled MAIL/RCPT/DATA came before it.
      const noop = await c.command('NOOP');
      expect(noop.code).toBe(250);
      expect(noop.text).not.toMatch(/Accepted|queued/);
      expect(c.pending).toBe('');
      c.close();
    }
    expect(await t.store.queueNames()).toEqual([]);
  });
});

describe('STARTTLS command injection', () => {
  it('discards commands pipelined after STARTTLS in the clear, before and after the handshake', async () => {
    const c = await RawSmtp.connect(t.port(), t.host());
    await c.read();
    expect((await c.command('EHLO client.example')).text).toContain('STARTTLS');
    c.write('STARTTLS\r\nRSET\r\n');
    const ready = await c.read();
    expect(ready.code).toBe(220);
    expect(c.pending).toBe('');
    await c.startTls();
    const ehlo = await c.command('EHLO client.example');
    // Had RSET run inside the TLS session, its single-line 250 would come first.
    expect(ehlo.lines[0]).toMatch(/^250-/);
    expect(ehlo.text).not.toContain('STARTTLS');
    const noop = await c.command('NOOP');
    expect(noop.code).toBe(250);
    expect(c.pending).toBe('');
    c.close();
  });
});
