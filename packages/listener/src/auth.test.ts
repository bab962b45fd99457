import { getTestRedis } from '@vmta/testing';
import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authSubject } from './auth-stage.js';
import { authLockoutConfig, authPlainOnce, b64, CERT_PASSWORD, makeCertificates, RawSmtp, startTestListener, type TestCertificates, type TestListener } from './testing/smtp-test-kit.js';

let certs: TestCertificates;
let t: TestListener;

beforeAll(async () => {
  certs = await makeCertificates();
  t = await startTestListener(await getTestRedis(), `
host-name mx.test.example
smtp-listener 127.0.0.1:0
smtp-server-tls-certificate ${certs.plain}
<smtp-listener 127.0.0.2:0>
  immediate-tls yes
  tls-certificate ${certs.encrypted} ${CERT_PASSWORD}
</smtp-listener>
<smtp-user alice>
  password s3cret
</smtp-user>
<source 0/0>
  allow-starttls yes
  require-auth yes
  require-starttls-before-auth yes
  smtp-max-auth-failure-rate 3/1h
</source>
`);
});

afterAll(async () => {
  await t?.close();
  certs?.cleanup();
});

function transport(kind: 'starttls' | 'implicit', method: string, pass = 's3cret') {
  return nodemailer.createTransport({
    host: kind === 'starttls' ? t.host(0) : t.host(1),
    port: kind === 'starttls' ? t.port(0) : t.port(1),
    secure: kind === 'implicit',
    requireTLS: kind === 'starttls',
    auth: { user: 'alice', pass, method },
    tls: { rejectUnauthorized: false, minVersion: 'TLSv1.2' },
  });
}

describe('AUTH', () => {
  for (const kind of ['starttls', 'implicit'] as const) {
    for (const method of ['PLAIN', 'LOGIN', 'CRAM-MD5']) {
      it(`accepts AUTH ${method} over ${kind === 'starttls' ? 'STARTTLS' : 'implicit TLS'} and queues the mail`, async () => {
        const tr = transport(kind, method);
        try {
          const info = await tr.sendMail({ from: 'alice@sender.example', to: 'bob@elsewhere.example', subject: 'hi', text: 'hello' });
          const id = /queued as (\S+)/.exec(info.response)?.[1];
          expect(info.response).toMatch(/^250 2\.0\.0 OK queued as /);
          const stored = await t.store.get(id!);
          expect(stored?.source.authUser).toBe('alice');
          expect(stored?.source.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
          expect(stored?.body.toString()).toMatch(/^Received: from [^\r]* with ESMTPSA\r\n/);
          expect(stored?.body.toString()).toContain('authenticated as alice');
        } finally {
          tr.close();
        }
      });
    }
  }

  it('answers a wrong password with 535 5.7.8', async () => {
    const c = await RawSmtp.connect(t.port(1), t.host(1), { tls: true });
    // A different client IP bucket is not possible on loopback, so this test uses a rate-free source: see below.
    expect((await c.read()).code).toBe(220);
    await c.command('EHLO client.example');
    const r = await c.command(`AUTH PLAIN ${b64('\0alice\0wrong')}`);
    expect(r.text).toBe('535 5.7.8 Authentication credentials invalid');
    c.close();
  });

  it('refuses AUTH before STARTTLS with 538 5.7.11 when require-starttls-before-auth is set', async () => {
    const c = await RawSmtp.connect(t.port(0), t.host(0));
    await c.read();
    const ehlo = await c.command('EHLO client.example');
    expect(ehlo.text).toContain('STARTTLS');
    expect(ehlo.text).not.toContain('AUTH');
    expect((await c.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`)).text).toBe('538 5.7.11 Encryption required for requested authentication mechanism');
    expect((await c.command('AUTH CRAM-MD5')).code).toBe(538);
    expect((await c.command('MAIL FROM:<alice@sender.example>')).text).toBe('530 5.7.0 Authentication required');
    c.close();
  });
});

describe('AUTH without TLS', () => {
  let plain: TestListener;
  beforeAll(async () => {
    plain = await startTestListener(await getTestRedis(), `
smtp-listener 127.0.0.3:0
<smtp-user alice>
  password s3cret
</smtp-user>
<source 0/0>
  require-auth yes
</source>
`);
  });
  afterAll(() => plain?.close());

  it('offers only CRAM-MD5 in the clear and refuses PLAIN and LOGIN unless allow-unencrypted-plain-auth', async () => {
    const c = await RawSmtp.connect(plain.port(), plain.host());
    await c.read();
    const ehlo = await c.command('EHLO client.example');
    expect(ehlo.lines).toContain('250-AUTH CRAM-MD5');
    expect(ehlo.text).not.toContain('STARTTLS');
    expect((await c.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`)).code).toBe(538);
    expect((await c.command('AUTH LOGIN')).code).toBe(538);
    const challenge = await c.command('AUTH CRAM-MD5');
    expect(challenge.code).toBe(334);
    const text = Buffer.from(challenge.text.slice(4), 'base64').toString();
    const digest = createHmac('md5', 's3cret').update(text).digest('hex');
    expect((await c.command(b64(`alice ${digest}`))).code).toBe(235);
    c.close();
  });
});

describe('smtp-max-auth-failure-rate', () => {
  let a: TestListener;
  let b: TestListener;
  const config = (addr: string, rate = '3/4s') => authLockoutConfig(addr, rate);
  beforeAll(async () => {
    a = await startTestListener(await getTestRedis(), config('127.0.0.4'));
    // A second listener instance on the same Redis keyspace stands for another process.
    b = await startTestListener({ url: a.redisUrl, prefix: a.prefix }, config('127.0.0.5'));
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  /** A listener of its own (3 failures an hour) on a keyspace of its own beside `a`'s. */
  const ownKeyspace = async (addr: string, name: string) =>
    startTestListener({ url: a.redisUrl, prefix: `${a.prefix}${name}:` }, config(addr, '3/1h'));

  const tryAuth = (l: TestListener, password: string) => authPlainOnce(l, 'alice', password);

  it('locks a client IP out after too many failures across connections and processes, then lets it in again', async () => {
    // Start right after a window boundary is not needed: the counter keys are fixed windows, so a window
    // change during the loop only delays the lockout; loop until it happens.
    let locked = false;
    for (let i = 0; i < 12 && !locked; i++) {
      const r = await tryAuth(a, 'wrong');
      if (r.startsWith('454')) locked = true;
      else expect(r).toBe('535 5.7.8 Authentication credentials invalid');
    }
    expect(locked).toBe(true);
    // The right password on another instance is refused too while locked.
    expect(await tryAuth(b, 's3cret')).toBe('454 4.7.0 Temporary authentication failure, too many failed attempts');
    // Once the window has passed, AUTH works again.
    let r = '';
    for (let i = 0; i < 40; i++) {
      r = await tryAuth(b, 's3cret');
      if (r.startsWith('235')) break;
      await new Promise((res) => setTimeout(res, 250));
    }
    expect(r).toMatch(/^235/);
  });

  it('settles AUTH PLAIN with an initial response in one Redis step: a GET when right, an INCR (PEXPIRE in its MULTI) when wrong', async () => {
    const c = await ownKeyspace('127.0.0.7', 'one');
    // MONITOR on a raw connection: every command Redis runs, one line each (`+TIME [db addr] "cmd" "key" ...`).
    const url = new URL(a.redisUrl);
    const monitor = connect(Number(url.port), url.hostname);
    let lines = '';
    monitor.on('data', (d: Buffer) => (lines += d.toString('latin1')));
    monitor.write('MONITOR\r\n');
    try {
      while (!lines.startsWith('+OK')) await new Promise((res) => setTimeout(res, 20));
      expect(await tryAuth(c, 's3cret')).toMatch(/^235/);
      expect(await tryAuth(c, 'wrong')).toBe('535 5.7.8 Authentication credentials invalid');
      await new Promise((res) => setTimeout(res, 300)); // MONITOR lines may arrive after the replies
      const counted = lines.split('\r\n').filter((l) => l.includes(`"${c.prefix}:rate:auth-fail:`));
      expect(counted.map((l) => /\] "(\w+)"/.exec(l)?.[1]?.toLowerCase())).toEqual(['get', 'incr', 'pexpire']);
    } finally {
      monitor.destroy();
      await c.close();
    }
  });

  it('gives parallel sessions of one client no more guesses between them than the limit', async () => {
    const c = await ownKeyspace('127.0.0.6', 'par');
    try {
      const sessions = await Promise.all(Array.from({ length: 12 }, () => RawSmtp.connect(c.port(), c.host())));
      await Promise.all(sessions.map(async (s) => { await s.read(); await s.command('EHLO client.example'); }));
      const replies = await Promise.all(sessions.map((s) => s.command(`AUTH PLAIN ${b64('\0alice\0wrong')}`)));
      for (const s of sessions) s.close();
      const guesses = replies.filter((r) => r.text.startsWith('535')).length;
      expect(replies.filter((r) => r.text.startsWith('454')).length).toBe(12 - guesses);
      expect(guesses).toBe(3);
    } finally {
      await c.close();
    }
  });
});

describe('authSubject', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('counts %s as %s', (ip, subject) => {
    expect(authSubject(ip)).toBe(subject);
  });
});

describe('no <smtp-user> configured', () => {
  let open: TestListener;
  beforeAll(async () => {
    open = await startTestListener(await getTestRedis(), 'smtp-listener 127.0.0.3:0\nrelay-domain ours.example\n');
  });
  afterAll(() => open?.close());

  it('advertises no AUTH: no credentials could succeed (as Postfix without SASL)', async () => {
    const c = await RawSmtp.connect(open.port(), open.host());
    await c.read();
    const ehlo = await c.command('EHLO client.example');
    expect(ehlo.code).toBe(250);
    expect(ehlo.text).not.toContain('AUTH');
    expect((await c.command('MAIL FROM:<a@client.example>')).code).toBe(250);
    c.close();
  });
});
