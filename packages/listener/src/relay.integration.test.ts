import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawSmtp } from './testing/smtp-test-kit.js';
import { sharedTestListener } from './testing/shared-listener.js';

const t = sharedTestListener(beforeAll, afterAll, `
host-name mx.test.example
postmaster ops@ours.example
smtp-listener 127.0.0.1:0
smtp-listener 127.0.0.6:0 source=feeder
relay-domain ours.example
relay-address list@lists.example
<source 0/0>
  max-rcpt-per-message 3
</source>
<source feeder>
  always-allow-relaying yes
</source>
`);

async function session(n = 0): Promise<RawSmtp> {
  const c = await RawSmtp.connect(t.port(n), t.host(n));
  expect((await c.read()).code).toBe(220);
  expect((await c.command('EHLO client.example')).code).toBe(250);
  expect((await c.command('MAIL FROM:<sender@client.example>')).code).toBe(250);
  return c;
}

describe('relay control', () => {
  it('lets anyone send to a relay-domain and a relay-address but denies other recipients', async () => {
    const c = await session();
    expect((await c.command('RCPT TO:<user@ours.example>')).code).toBe(250);
    expect((await c.command('RCPT TO:<list@lists.example>')).code).toBe(250);
    expect((await c.command('RCPT TO:<user@elsewhere.example>')).text).toBe('550 5.7.1 Relaying denied');
    c.close();
  });

  it('lets a source with always-allow-relaying (via the listener source=) send anywhere', async () => {
    const c = await session(1);
    expect((await c.command('RCPT TO:<user@elsewhere.example>')).code).toBe(250);
    c.close();
  });

  it.each([
    ['a percent hack', 'a%evil.example@ours.example'],
    ['a bang path', 'evil.example!a@ours.example'],
    ['a quoted local part holding @', '"a@evil.example"@ours.example'],
    ['a source route', '@ours.example:a@evil.example'],
    ['an address literal', 'a@[192.0.2.1]'],
    ['a domain that only ends like ours', 'a@notours.example'],
    ['a subdomain of an exact relay-domain', 'a@sub.ours.example'],
  ])('refuses %s (%s)', async (_what, address) => {
    const c = await session();
    const r = await c.command(`RCPT TO:<${address}>`);
    expect(r.code).toBeGreaterThanOrEqual(500);
    c.close();
  });

  it('accepts the null sender and the bare postmaster recipient', async () => {
    const c = await RawSmtp.connect(t.port(), t.host());
    await c.read();
    await c.command('EHLO client.example');
    expect((await c.command('MAIL FROM:<>')).code).toBe(250);
    expect((await c.command('RCPT TO:<postmaster>')).code).toBe(250);
    expect((await c.command('DATA')).code).toBe(354);
    c.write('Subject: bounce\r\n\r\nbody\r\n.\r\n');
    const r = await c.read();
    expect(r.text).toMatch(/^250 2\.0\.0 OK queued as /);
    const stored = await t.store.get(/queued as (\S+)/.exec(r.text)![1]!);
    expect(stored?.mailFrom).toBe('');
    expect(stored?.recipients.map((x) => x.address)).toEqual(['ops@ours.example']);
    c.close();
  });

  it('answers 452 4.5.3 beyond max-rcpt-per-message and keeps the accepted recipients', async () => {
    const c = await session();
    for (const u of ['a', 'b', 'c']) expect((await c.command(`RCPT TO:<${u}@ours.example>`)).code).toBe(250);
    expect((await c.command('RCPT TO:<d@ours.example>')).text).toBe('452 4.5.3 Too many recipients');
    expect((await c.command('DATA')).code).toBe(354);
    c.write('Subject: x\r\n\r\nbody\r\n.\r\n');
    const r = await c.read();
    const stored = await t.store.get(/queued as (\S+)/.exec(r.text)![1]!);
    expect(stored?.recipients.map((x) => x.address)).toEqual(['a@ours.example', 'b@ours.example', 'c@ours.example']);
    c.close();
  });
});
