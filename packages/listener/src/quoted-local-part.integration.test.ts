import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawSmtp } from './testing/smtp-test-kit.js';
import { sharedTestListener } from './testing/shared-listener.js';

const t = sharedTestListener(beforeAll, afterAll, `
host-name mx.test.example
postmaster ops@ours.example
smtp-listener 127.0.0.1:0
relay-domain ours.example
`);

describe('a quoted local part (RFC 5321 §4.1.2 Quoted-string)', () => {
  it('is accepted with a space or an "@" inside and queued byte for byte', async () => {
    const c = await RawSmtp.connect(t.port(), t.host());
    expect((await c.read()).code).toBe(220);
    expect((await c.command('EHLO client.example')).code).toBe(250);
    expect((await c.command('MAIL FROM:<"q u"@client.example> BODY=7BIT')).text).toBe('250 2.1.0 Accepted');
    expect((await c.command('RCPT TO:<"john smith"@ours.example>')).code).toBe(250);
    expect((await c.command('RCPT TO:<"a\\"b c"@ours.example> NOTIFY=FAILURE')).code).toBe(250);
    expect((await c.command('DATA')).code).toBe(354);
    c.write('Subject: quoted\r\n\r\nbody\r\n.\r\n');
    const r = await c.read();
    expect(r.text).toMatch(/^250 2\.0\.0 OK queued as /);
    const stored = await t.store.get(/queued as (\S+)/.exec(r.text)![1]!);
    expect(stored?.mailFrom).toBe('"q u"@client.example');
    expect(stored?.recipients.map((x) => x.address)).toEqual(['"john smith"@ours.example', '"a\\"b c"@ours.example']);
    c.close();
  });

  it('takes an empty one (""@example.com), as RFC 5321 and Postfix do, and queues it byte for byte', async () => {
    const c = await RawSmtp.connect(t.port(), t.host());
    await c.read();
    await c.command('EHLO client.example');
    expect((await c.command('MAIL FROM:<""@client.example>')).text).toBe('250 2.1.0 Accepted');
    expect((await c.command('RCPT TO:<""@ours.example>')).code).toBe(250);
    expect((await c.command('DATA')).code).toBe(354);
    c.write('Subject: empty quoted\r\n\r\nbody\r\n.\r\n');
    const r = await c.read();
    const stored = await t.store.get(/queued as (\S+)/.exec(r.text)![1]!);
    expect(stored?.mailFrom).toBe('""@client.example');
    expect(stored?.recipients.map((x) => x.address)).toEqual(['""@ours.example']);
    c.close();
  });

  it('still refuses a broken one with 501', async () => {
    const c = await RawSmtp.connect(t.port(), t.host());
    await c.read();
    await c.command('EHLO client.example');
    expect((await c.command('MAIL FROM:<"q u@client.example>')).code).toBe(501);
    expect((await c.command('MAIL FROM:<"q u"@bad..domain>')).code).toBe(501);
    c.close();
  });

  it('takes a path without angle brackets as Postfix does (MAIL FROM:a@example.com)', async () => {
    const c = await RawSmtp.connect(t.port(), t.host());
    await c.read();
    await c.command('EHLO client.example');
    expect((await c.command('MAIL FROM:bare@client.example SIZE=100')).code).toBe(250);
    expect((await c.command('RCPT TO: user@ours.example')).code).toBe(250);
    expect((await c.command('DATA')).code).toBe(354);
    c.write('Subject: bare\r\n\r\nbody\r\n.\r\n');
    const r = await c.read();
    const stored = await t.store.get(/queued as (\S+)/.exec(r.text)![1]!);
    expect(stored?.mailFrom).toBe('bare@client.example');
    expect(stored?.recipients.map((x) => x.address)).toEqual(['user@ours.example']);
    c.close();
  });
});
