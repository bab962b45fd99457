import { getTestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueIdOf, RawSmtp, sendRaw, startTestListener, type TestListener } from './testing/smtp-test-kit.js';

let t: TestListener;

beforeAll(async () => {
  t = await startTestListener(await getTestRedis(), 
    `
host-name mx.test.example
smtp-listener 127.0.0.1:0
smtp-listener 127.0.0.7:0 source=retain
relay-domain [*.]example
<source 0/0>
  process-x-virtual-mta yes
  max-message-size 2K
</source>
<source retain>
  retain-x-virtual-mta yes
  hide-message-source yes
  remove-received-headers yes
</source>
<virtual-mta mta1>
  smtp-source-host 127.0.0.1 mta1.test.example
</virtual-mta>
<virtual-mta mta2>
  smtp-source-host 127.0.0.1 mta2.test.example
</virtual-mta>
<virtual-mta-pool pool1>
  virtual-mta mta1
  virtual-mta mta2
</virtual-mta-pool>
`,
    { limits: { maxHeaderBytes: 4096 } },
  );
});
afterAll(() => t?.close());

async function open(n = 0): Promise<RawSmtp> {
  const c = await RawSmtp.connect(t.port(n), t.host(n));
  await c.read();
  await c.command('EHLO client.example');
  return c;
}

async function stored(c: RawSmtp, data: string, to = ['rcpt@dest.example']) {
  const r = await sendRaw(c, 'sender@client.example', to, data);
  expect(r.text).toMatch(/^250 2\.0\.0 OK queued as /);
  return (await t.store.get(queueIdOf(r)!))!;
}

const ORIGINAL_BODY = 'Subject: test\r\nMessage-ID: <m1@client.example>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nline 1\r\n..leading dot\r\n\r\nend\r\n';

describe('DATA', () => {
  it('keeps the message byte-identical after the Received header it prepends', async () => {
    const c = await open();
    const m = await stored(c, `${ORIGINAL_BODY}.\r\n`);
    const body = m.body.toString('latin1');
    expect(body.startsWith('Received: from client.example ([127.0.0.1]) by mx.test.example with ESMTP')).toBe(true);
    expect(body.slice(body.indexOf('Subject: test'))).toBe(ORIGINAL_BODY.replace('..leading', '.leading'));
    expect(m.vmta).toBe('{default}');
    c.close();
  });

  it('stores a punycode sender domain as the client sent it (smtp-server hands it over in Unicode)', async () => {
    const c = await open();
    const r = await sendRaw(c, 'bounce@xn--bcher-kva.example', ['rcpt@dest.example'], `${ORIGINAL_BODY}.\r\n`);
    expect(r.text).toMatch(/^250 /);
    expect((await t.store.get(queueIdOf(r)!))!.mailFrom).toBe('bounce@xn--bcher-kva.example');
    c.close();
  });

  it('refuses a message that arrives with max-message-hops (default 100) Received headers as a mail loop, 554 5.4.6', async () => {
    const c = await open();
    const hops = (n: number) => 'Received: x\r\n'.repeat(n);
    const big = await sendRaw(c, 'sender@client.example', ['rcpt@dest.example'], `${hops(100)}Subject: loop\r\n\r\nx\r\n.\r\n`);
    expect(big.text).toMatch(/^554 5\.4\.6 Too many hops \(100 Received headers\)/);
    const fine = await sendRaw(c, 'sender@client.example', ['rcpt@dest.example'], `${hops(99)}Subject: ok\r\n\r\nx\r\n.\r\n`);
    expect(fine.text).toMatch(/^250 /);
    c.close();
  });

  it('adds Message-ID and Date when the message has none', async () => {
    const c = await open();
    const m = await stored(c, 'Subject: bare\r\n\r\nhello\r\n.\r\n');
    const body = m.body.toString('latin1');
    expect(body).toMatch(new RegExp(`\\r\\nMessage-ID: <${m.id}@mx\\.test\\.example>\\r\\nDate: [A-Z][a-z]{2}, `));
    expect(body.endsWith('Subject: bare\r\n\r\nhello\r\n')).toBe(true);
    c.close();
  });

  it('sends a message with X-Virtual-MTA to that VMTA and removes the header', async () => {
    const c = await open();
    const m = await stored(c, 'X-Virtual-MTA: mta2\r\nSubject: v\r\n\r\nbody\r\n.\r\n');
    expect(m.vmta).toBe('mta2');
    expect(m.recipients[0]?.queue).toBe('dest.example/mta2');
    expect(m.body.toString()).not.toMatch(/X-Virtual-MTA/i);
    c.close();
  });

  it('sends a message with X-Virtual-MTA naming a pool to its members in turn', async () => {
    const c = await open();
    const a = await stored(c, 'X-Virtual-MTA: pool1\r\nSubject: p\r\n\r\nbody\r\n.\r\n');
    const b = await stored(c, 'X-Virtual-MTA: POOL1\r\nSubject: p\r\n\r\nbody\r\n.\r\n');
    expect(a.vmtaPool).toBe('pool1');
    expect(new Set([a.vmta, b.vmta])).toEqual(new Set(['mta1', 'mta2']));
    c.close();
  });

  it('rejects an unknown X-Virtual-MTA with 550 5.7.1 and stays usable', async () => {
    const c = await open();
    const r = await sendRaw(c, 's@client.example', ['r@dest.example'], 'X-Virtual-MTA: nosuch\r\n\r\nbody\r\n.\r\n');
    expect(r.text).toBe('550 5.7.1 Invalid virtual MTA nosuch');
    expect((await c.command('NOOP')).code).toBe(250);
    c.close();
  });

  it('keeps X-Virtual-MTA with retain-x-virtual-mta, hides the client in Received with hide-message-source, drops the Received fields it came with (remove-received-headers)', async () => {
    const c = await open(1);
    const m = await stored(c, 'Received: from hidden.example ([198.51.100.7])\r\n\tby relay.example; Mon, 1 Jan 2026 00:00:00 +0000\r\nX-Virtual-MTA: mta1\r\nSubject: r\r\n\r\nbody\r\n.\r\n');
    const body = m.body.toString();
    expect(body).toContain('X-Virtual-MTA: mta1\r\n');
    expect(body).toMatch(/^Received: by mx\.test\.example with ESMTP/);
    expect(body.match(/^Received:/gm)).toHaveLength(1);
    expect(body).not.toMatch(/hidden\.example|relay\.example|198\.51\.100\.7/);
    expect(body).not.toContain('127.0.0.1');
    c.close();
  });
});

describe('size limits', () => {
  it('advertises max-message-size in EHLO SIZE', async () => {
    const c = await RawSmtp.connect(t.port(), t.host());
    await c.read();
    expect((await c.command('EHLO client.example')).text).toMatch(/^250[- ]SIZE 2048$/m);
    c.close();
  });

  it('refuses MAIL FROM with a declared SIZE above the limit', async () => {
    const c = await open();
    expect((await c.command('MAIL FROM:<s@client.example> SIZE=4096')).text).toBe(
      '552 5.3.4 Message size exceeds fixed maximum message size of 2048 bytes',
    );
    expect((await c.command('MAIL FROM:<s@client.example> SIZE=100')).code).toBe(250);
    c.close();
  });

  it('rejects a message whose actual bytes exceed the limit after the data and keeps the connection usable', async () => {
    const c = await open();
    const big = `Subject: big\r\n\r\n${'x'.repeat(70)}\r\n`.repeat(40);
    const r = await sendRaw(c, 's@client.example', ['r@dest.example'], `${big}.\r\n`);
    expect(r.text).toBe('552 5.3.4 Message size exceeds fixed maximum message size of 2048 bytes');
    const m = await stored(c, 'Subject: small\r\n\r\nok\r\n.\r\n');
    expect(m.body.toString()).toContain('Subject: small');
    c.close();
  });

  it('rejects a header block over the header limit with 552', async () => {
    const l = await startTestListener(await getTestRedis(), 'smtp-listener 127.0.0.8:0\nrelay-domain dest.example\n', { limits: { maxHeaderBytes: 1024 } });
    try {
      const c = await RawSmtp.connect(l.port(), l.host());
      await c.read();
      await c.command('EHLO client.example');
      const header = `X-Filler: ${'y'.repeat(60)}\r\n`.repeat(40);
      const r = await sendRaw(c, 's@client.example', ['r@dest.example'], `${header}\r\nbody\r\n.\r\n`);
      expect(r.text).toBe('552 5.3.4 Message header exceeds 1024 bytes');
      expect((await c.command('NOOP')).code).toBe(250);
      c.close();
    } finally {
      await l.close();
    }
  });

  it('answers 500 5.5.2 to a command line over the limit (4096) and goes on', async () => {
    const c = await open();
    const r = await c.command(`NOOP ${'z'.repeat(5000)}`);
    expect(r.text).toBe('500 5.5.2 Error: line too long');
    expect((await c.command(`NOOP ${'z'.repeat(4000)}`)).code).toBe(250);
    c.close();
  });
});
