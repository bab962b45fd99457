import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawSmtp } from './testing/smtp-test-kit.js';
import { sharedTestListener } from './testing/shared-listener.js';

const t = sharedTestListener(beforeAll, afterAll, `
host-name mx.test.example
postmaster ops@ours.example
smtp-listener 127.0.0.1:0
relay-domain ours.example
`);

async function session(): Promise<RawSmtp> {
  const c = await RawSmtp.connect(t.port(), t.host());
  expect((await c.read()).code).toBe(220);
  expect((await c.command('EHLO client.example')).code).toBe(250);
  return c;
}

/** RFC 5321 4.5.3.1.4 and 4.2.4: "500 Line too long", and the session goes on (smtp-server answered 421 and closed). */
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
    expect((await c.command('x'.repeat(17_000))).text).toMatch(/^421 /);
    await c.closedByServer();
  });
});
