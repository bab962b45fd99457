import { getTestRedis } from '@vmta/testing';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loggableCommand } from './smtp-listener.js';
import { queueIdOf, RawSmtp, sendRaw, startTestListener, type TestListener } from './testing/smtp-test-kit.js';

const open: Array<RawSmtp | TestListener> = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) {
    if (x instanceof RawSmtp) x.close();
    else await x.close();
  }
});

async function listener(text: string, limits = {}): Promise<TestListener> {
  const t = await startTestListener(await getTestRedis(), text, { limits });
  open.push(t);
  return t;
}

async function connect(t: TestListener, localAddress?: string): Promise<RawSmtp> {
  const c = await RawSmtp.connect(t.port(), t.host(), localAddress !== undefined ? { localAddress } : {});
  open.push(c);
  return c;
}

describe('connection limits', () => {
  it('answers 421 at once to a client beyond total-max-smtp-in', async () => {
    const t = await listener('smtp-listener 127.0.0.9:0\ntotal-max-smtp-in 2\n');
    const a = await connect(t);
    const b = await connect(t);
    expect((await a.read()).code).toBe(220);
    expect((await b.read()).code).toBe(220);
    const c = await connect(t);
    const r = await c.read();
    expect(r.code).toBe(421);
    expect(r.text).toMatch(/Too many/);
    await c.closedByServer();
  });

  it('closes an idle session with 421', async () => {
    const t = await listener('smtp-listener 127.0.0.10:0\n', { idleTimeoutMs: 300 });
    const c = await connect(t);
    expect((await c.read()).code).toBe(220);
    expect((await c.read()).code).toBe(421);
    await c.closedByServer();
  });

  it('closes a session that outlives the whole-session cap even while it keeps talking', async () => {
    // The NOOP loop would otherwise meet the junk-command cap first.
    const t = await listener('smtp-listener 127.0.0.11:0\n', { sessionMaxMs: 400, maxJunkCommands: Number.MAX_SAFE_INTEGER });
    const c = await connect(t);
    expect((await c.read()).code).toBe(220);
    let r = await c.command('NOOP');
    while (r.code === 250) r = await c.command('NOOP');
    expect(r.text).toMatch(/^421 4\.4\.2 .*Session time limit exceeded/);
    await c.closedByServer();
  });

  it('closes a session after too many commands without a message (421 4.7.0); an accepted message restarts the count', async () => {
    const t = await listener('smtp-listener 127.0.0.17:0\nrelay-domain [*.]example\n', { maxJunkCommands: 3 });
    const c = await connect(t);
    expect((await c.read()).code).toBe(220);
    expect((await c.command('EHLO client.example')).code).toBe(250);
    for (const cmd of ['NOOP', 'RSET', 'NOOP']) expect((await c.command(cmd)).code).toBe(250);
    const ok = await sendRaw(c, 'sender@client.example', ['rcpt@dest.example'], 'Subject: x\r\n\r\nhi\r\n.\r\n');
    expect(queueIdOf(ok)).toBeDefined();
    expect((await c.command('EXPN staff')).text).toBe('502 5.5.1 EXPN command not implemented');
    for (const cmd of ['NOOP', 'HELP']) expect((await c.command(cmd)).code).toBeLessThan(400);
    expect((await c.command('NOOP')).text).toMatch(/^421 4\.7\.0 .*Too many commands without a message/);
    await c.closedByServer();
  });
});

describe('protocol errors', () => {
  it('closes a session at the next command once it got too many (421 4.7.0); refused addresses do not count and an accepted message restarts the count', async () => {
    const t = await listener('smtp-listener 127.0.0.18:0\nrelay-domain [*.]example\n', { maxCommandErrors: 3 });
    const c = await connect(t);
    expect((await c.read()).code).toBe(220);
    expect((await c.command('EHLO client.example')).code).toBe(250);
    expect((await c.command('RCPT TO:<rcpt@dest.example>')).text).toMatch(/^503 5\.5\.1 /);
    expect((await c.command('FROB')).text).toMatch(/^500 5\.5\.2 /);
    expect((await c.command('MAIL FROM:<sender@client.example>')).code).toBe(250);
    for (let i = 0; i < 5; i++) expect((await c.command('RCPT TO:<rcpt@elsewhere.test>')).text).toMatch(/^550 5\.7\.1 /);
    expect((await c.command('RCPT TO:<rcpt@dest.example>')).code).toBe(250);
    expect((await c.command('DATA')).code).toBe(354);
    expect(queueIdOf(await c.command('Subject: x\r\n\r\nhi\r\n.'))).toBeDefined();
    expect((await c.command('MAIL FROM:<sender@client.example> FOO=bar')).text).toMatch(/^555 5\.5\.4 /);
    expect((await c.command('MAIL FROM:<sender@client.example>')).code).toBe(250);
    expect((await c.command('MAIL FROM:<sender@client.example>')).text).toMatch(/^503 5\.5\.1 /);
    expect((await c.command('RCPT TO:<rcpt@dest.example> NOTIFY=BOGUS')).text).toMatch(/^501 5\.5\.4 /);
    expect((await c.command('RCPT TO:<rcpt@dest.example>')).text).toMatch(/^421 4\.7\.0 \S+ Error: too many errors$/);
    await c.closedByServer();
  });

  it('cuts a pipelined flood of them off at the default limit (20)', async () => {
    const t = await listener('smtp-listener 127.0.0.19:0\n');
    const c = await connect(t);
    expect((await c.read()).code).toBe(220);
    c.write('EHLO client.example\r\n' + 'RCPT TO:<rcpt@dest.example>\r\n'.repeat(5000));
    expect((await c.read()).code).toBe(250);
    for (let i = 0; i < 20; i++) expect((await c.read()).code).toBe(503);
    expect((await c.read()).text).toMatch(/^421 4\.7\.0 .*too many errors/);
    await c.closedByServer();
  });
});

describe('listener addresses', () => {
  it('listens on every address for 0/0', async () => {
    const t = await listener('smtp-listener 0/0:0\n');
    expect(t.host()).toBe('0.0.0.0');
    for (const host of ['127.0.0.1', '127.0.0.12']) {
      const c = await RawSmtp.connect(t.port(), host);
      open.push(c);
      expect((await c.read()).code).toBe(220);
    }
  });
});

describe('safe defaults and shared limits', () => {
  async function greeted(t: TestListener): Promise<RawSmtp> {
    const c = await connect(t);
    expect((await c.read()).code).toBe(220);
    return c;
  }

  it('advertises the 25 MB default max-message-size, and no SIZE limit with max-message-size unlimited', async () => {
    const t = await listener('smtp-listener 127.0.0.13:0\nsmtp-listener 127.0.0.14:0 source=big\n<source big>\n  max-message-size unlimited\n</source>\n');
    const c = await greeted(t);
    expect((await c.command('EHLO client.example')).text).toMatch(/^250[- ]SIZE 26214400$/m);
    const d = await RawSmtp.connect(t.port(1), t.host(1));
    open.push(d);
    await d.read();
    expect((await d.command('EHLO client.example')).text).toMatch(/^250[- ]SIZE$/m);
  });

  it('refuses recipient 1001 with 452 4.5.3 by default, and takes it with max-rcpt-per-message unlimited', async () => {
    const t = await listener('smtp-listener 127.0.0.13:0\nsmtp-listener 127.0.0.14:0 source=many\nrelay-domain dest.example\n<source many>\n  max-rcpt-per-message unlimited\n</source>\n');
    for (const [n, expected] of [[0, '452 4.5.3 Too many recipients'], [1, /^250 /]] as const) {
      const c = await RawSmtp.connect(t.port(n), t.host(n));
      open.push(c);
      await c.read();
      await c.command('EHLO client.example');
      expect((await c.command('MAIL FROM:<s@client.example>')).code).toBe(250);
      for (let i = 0; i < 1000; i++) expect((await c.command(`RCPT TO:<r${i}@dest.example>`)).code).toBe(250);
      expect((await c.command('RCPT TO:<r1000@dest.example>')).text).toMatch(expected);
    }
  });

  it('queues a message of 10,000 recipients over four domains with max-rcpt-per-message unlimited', async () => {
    const domains = ['d1.example', 'd2.example', 'd3.example', 'd4.example'];
    const t = await listener(`smtp-listener 127.0.0.14:0\n${domains.map((d) => `relay-domain ${d}`).join('\n')}\n<source 0/0>\n  max-rcpt-per-message unlimited\n</source>\n`);
    const c = await greeted(t);
    await c.command('EHLO client.example');
    expect((await c.command('MAIL FROM:<s@client.example>')).code).toBe(250);
    // PIPELINING: all RCPTs in one write, then their replies.
    c.write(Array.from({ length: 10_000 }, (_, i) => `RCPT TO:<r${i}@${domains[i % 4]}>\r\n`).join(''));
    for (let i = 0; i < 10_000; i++) expect((await c.read()).code).toBe(250);
    expect((await c.command('DATA')).code).toBe(354);
    c.write('Subject: many\r\n\r\nhello\r\n.\r\n');
    const reply = await c.read();
    expect(reply.text).toMatch(/^250 /);
    const stored = (await t.store.get(queueIdOf(reply)!))!;
    expect(stored.recipients).toHaveLength(10_000);
    for (const d of domains) expect(stored.recipients.filter((r) => r.queue === `${d}/${stored.vmta}`)).toHaveLength(2_500);
  }, 60_000);

  it('refuses a message with 452 4.3.1 while the DATA held by all sessions would pass maxDataBytes, and gives the memory back', async () => {
    const t = await listener('smtp-listener 127.0.0.13:0\nrelay-domain dest.example\n', { maxDataBytes: 64 * 1024 });
    const body = (kb: number) => `Subject: x\r\n\r\n${'y'.repeat(1022)}\r\n`.repeat(kb) + '.\r\n';
    const c = await greeted(t);
    await c.command('EHLO client.example');
    expect((await sendRaw(c, 's@client.example', ['r@dest.example'], body(100))).text).toMatch(/^452 4\.3\.1 /);
    // Each of these fits alone; the second passes only if the first gave its memory back.
    for (let i = 0; i < 3; i++) expect((await sendRaw(c, 's@client.example', ['r@dest.example'], body(40))).text).toMatch(/^250 /);
  });

  it('refuses a client its sessions beyond max-smtp-in-per-ip with 421 4.7.0, and takes it again when one closes', async () => {
    const t = await listener('smtp-listener 127.0.0.13:0\n<source 0/0>\n  max-smtp-in-per-ip 2\n</source>\n');
    const a = await greeted(t);
    await greeted(t);
    const c = await connect(t);
    expect((await c.read()).text).toMatch(/^421 4\.7\.0 .*from your address/);
    a.close();
    let r = '';
    for (let i = 0; i < 50 && !r.startsWith('220'); i++) {
      const d = await connect(t);
      r = (await d.read()).text;
      if (!r.startsWith('220')) await new Promise((res) => setTimeout(res, 50));
    }
    expect(r).toMatch(/^220 /);
  });
});

describe('smtp-service (PowerMTA §3.3.7.59)', () => {
  it('greets a client of a source with smtp-service no with 521 5.7.1 and closes; a source with yes is served', async () => {
    const t = await listener('host-name mx.test.example\nsmtp-listener 127.0.0.17:0\n<source 127.0.0.1>\n  smtp-service yes\n</source>\n<source 0/0>\n  smtp-service no\n</source>\n');
    const refused = await connect(t, '127.0.0.18');
    expect((await refused.read()).text).toBe('521 5.7.1 mx.test.example does not accept mail from you');
    await refused.closedByServer();
    const served = await connect(t, '127.0.0.1');
    expect((await served.read()).code).toBe(220);
    expect((await served.command('EHLO client.example')).code).toBe(250);
  });
});

describe('log-commands', () => {
  it.each([
    ['MAIL FROM:<a@b.example> SIZE=10', 'MAIL FROM:<a@b.example> SIZE=10'],
    ['AUTH PLAIN AGFsaWNlAHMzY3JldA==', 'AUTH PLAIN ***'],
    ['auth login', 'AUTH LOGIN ***'],
    ['AGFsaWNlAHMzY3JldA==', '***'],
    ['quit\r\n', 'quit'],
  ])('logs %j as %j', (line, logged) => {
    expect(loggableCommand(line)).toBe(logged);
  });

  it('logs each command of a session of a source with log-commands yes, and never the credentials', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    const t = await startTestListener(await getTestRedis(), 'smtp-listener 127.0.0.15:0\n<smtp-user u>\n  password s3cret-pass\n</smtp-user>\n<source 0/0>\n  log-commands yes\n  allow-unencrypted-plain-auth yes\n</source>\n', { logger });
    open.push(t);
    const c = await connect(t);
    await c.read();
    await c.command('EHLO client.example');
    await c.command(`AUTH PLAIN ${Buffer.from('\0u\0s3cret-pass').toString('base64')}`);
    await c.command('NOOP');
    const commands = lines.filter((l) => l.event === 'command').map((l) => l.command);
    expect(commands).toEqual(['EHLO client.example', 'AUTH PLAIN ***', 'NOOP']);
    expect(JSON.stringify(lines)).not.toContain(Buffer.from('\0u\0s3cret-pass').toString('base64'));
  });
});

describe("smtp-server's own log lines", () => {
  it('leaves out its per-connection info lines and logs a client reset at debug, not as an error', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    const t = await startTestListener(await getTestRedis(), 'smtp-listener 127.0.0.16:0\n', { logger });
    open.push(t);
    const c = await connect(t);
    await c.read();
    await c.command('EHLO client.example');
    await c.command('QUIT');
    c.close();
    const d = await connect(t);
    await d.read();
    d.socket.resetAndDestroy();
    await new Promise((r) => setTimeout(r, 200));
    const fromServer = lines.filter((l) => l.component === 'smtp-server');
    expect(fromServer).toEqual([]);
  });
});
