/**
 * Reload without dropping sessions (listeners added, removed, changed, a new certificate, a bind failure)
 * and the graceful shutdown (421 to new sessions, in-flight messages finish, bounded), on real sockets and
 * a real Redis.
 */
import net from 'node:net';
import type tls from 'node:tls';
import { loadConfigText } from '@vmta/config';
import { createRedis, MessageStore } from '@vmta/queue';
import { getTestRedis } from '@vmta/testing';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startListener, type RunningListener } from './listener.js';
import type { ListenerLimits } from './listener-runtime.js';
import { makeCertificates, queueIdOf, RawSmtp, sendRaw, type TestCertificates } from './testing/smtp-test-kit.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

const BASE = 'host-name mx.test.example\nrelay-domain [*.]dest.example\n';
const BODY = 'Subject: drain\r\nMessage-ID: <drain@client.example>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nhello\r\n';

interface Running {
  listener: RunningListener;
  store: MessageStore;
  events: Array<Record<string, unknown> & { event?: string }>;
  addressOf(host: string): { host: string; port: number };
}

async function start(configText: string, limits: Partial<ListenerLimits> = {}): Promise<Running> {
  const redis = await getTestRedis();
  const prefix = redis.prefix.replace(/:$/, '');
  const events: Running['events'] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void events.push(JSON.parse(line) as Running['events'][number]) });
  const listener = await startListener({ config: loadConfigText(configText), redisUrl: redis.url, prefix, logger, limits });
  const client = createRedis(redis.url, 'cli');
  client.on('error', () => {});
  cleanups.push(async () => {
    await listener.close();
    client.disconnect();
    await redis.cleanup();
  });
  return {
    listener,
    store: new MessageStore(client, { prefix }),
    events,
    addressOf(host) {
      const a = listener.addresses.find((x) => x.address === host);
      if (!a) throw new Error(`no listener on ${host}`);
      return { host, port: a.port };
    },
  };
}

async function connect(a: { host: string; port: number }, options: { tls?: boolean } = {}): Promise<RawSmtp> {
  const c = await RawSmtp.connect(a.port, a.host, options);
  cleanups.push(() => c.close());
  return c;
}

/** Connected, greeted, EHLO done. */
async function session(a: { host: string; port: number }): Promise<RawSmtp> {
  const c = await connect(a);
  expect((await c.read()).code).toBe(220);
  expect((await c.command('EHLO client.example')).code).toBe(250);
  return c;
}

async function sendsMail(r: Running, a: { host: string; port: number }): Promise<void> {
  const c = await session(a);
  const reply = await sendRaw(c, 'sender@client.example', ['rcpt@dest.example'], `${BODY}.\r\n`);
  expect(reply.text).toMatch(/^250 2\.0\.0 OK queued as /);
  expect(await r.store.get(queueIdOf(reply)!)).toBeDefined();
  await c.command('QUIT');
}

function refused(a: { host: string; port: number }): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(a.port, a.host);
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

async function freePort(host: string): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, host, resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

const fingerprint = (c: RawSmtp) => (c.socket as tls.TLSSocket).getPeerCertificate().fingerprint256;

describe('reload', () => {
  it('adds a listener on a new port: it accepts mail and the old one still works', async () => {
    const r = await start(`${BASE}smtp-listener 127.0.0.31:0\n`);
    const before = r.addressOf('127.0.0.31');
    const result = await r.listener.reload(loadConfigText(`${BASE}smtp-listener 127.0.0.31:0\nsmtp-listener 127.0.0.32:0\n`));
    expect(result.added.map((a) => a.address)).toEqual(['127.0.0.32']);
    expect(result.unchanged.map((a) => a.address)).toEqual(['127.0.0.31']);
    expect(result.removed).toEqual([]);
    expect(result.failed).toEqual([]);
    expect(r.addressOf('127.0.0.31')).toEqual(before);
    await sendsMail(r, r.addressOf('127.0.0.32'));
    await sendsMail(r, before);
    expect(r.events.some((e) => e.event === 'listener-added' && e.address === '127.0.0.32')).toBe(true);
  });

  it('removes a listener while a session on it is mid-transaction: that session completes, new connections are refused', async () => {
    // A long close timeout: the removed listener's session must not be drained while the test runs.
    const r = await start(`${BASE}smtp-listener 127.0.0.33:0\nsmtp-listener 127.0.0.34:0\n`, { closeTimeoutMs: 30_000 });
    const removed = r.addressOf('127.0.0.34');
    const kept = r.addressOf('127.0.0.33');
    const c = await session(removed);
    expect((await c.command('MAIL FROM:<sender@client.example>')).code).toBe(250);
    expect((await c.command('RCPT TO:<rcpt@dest.example>')).code).toBe(250);

    const result = await r.listener.reload(loadConfigText(`${BASE}smtp-listener 127.0.0.33:0\n`));
    expect(result.removed).toEqual([removed].map((a) => ({ name: '127.0.0.34:0', address: a.host, port: a.port, immediateTls: false })));
    expect(r.listener.addresses.map((a) => a.address)).toEqual(['127.0.0.33']);
    expect(await refused(removed)).toBe('ECONNREFUSED');

    expect((await c.command('DATA')).code).toBe(354);
    c.write(`${BODY}.\r\n`);
    const reply = await c.read();
    expect(reply.text).toMatch(/^250 2\.0\.0 OK queued as /);
    const stored = await r.store.get(queueIdOf(reply)!);
    expect(stored?.source.listener).toBe('127.0.0.34:0');
    expect((await c.command('QUIT')).code).toBe(221);
    await sendsMail(r, kept);
    await expect.poll(() => r.events.some((e) => e.event === 'listener-retired' && e.drained === 1 && e.forced === 0)).toBe(true);
  });

  it('rebinds a changed listener on the same address:port while its old sessions go on', async () => {
    const port = await freePort('127.0.0.35');
    const r = await start(`${BASE}smtp-listener 127.0.0.35:${port}\n<source feeder>\n</source>\n`, { closeTimeoutMs: 30_000 });
    const old = await session({ host: '127.0.0.35', port });
    expect((await old.command('MAIL FROM:<sender@client.example>')).code).toBe(250);

    const result = await r.listener.reload(loadConfigText(`${BASE}smtp-listener 127.0.0.35:${port} source=feeder\n<source feeder>\n</source>\n`));
    expect(result.failed).toEqual([]);
    expect(result.removed.map((a) => a.port)).toEqual([port]);
    expect(result.added.map((a) => a.port)).toEqual([port]);

    expect((await old.command('RCPT TO:<rcpt@dest.example>')).code).toBe(250);
    expect((await old.command('DATA')).code).toBe(354);
    old.write(`${BODY}.\r\n`);
    expect((await old.read()).code).toBe(250);
    await sendsMail(r, { host: '127.0.0.35', port });
  });

  it('gives new TLS sessions the new certificate while an existing TLS session keeps working', async () => {
    const a = await makeCertificates();
    const b = await makeCertificates();
    cleanups.push(() => a.cleanup(), () => b.cleanup());
    const config = (certs: TestCertificates) => `${BASE}smtp-listener 127.0.0.36:0\nsmtp-server-tls-certificate ${certs.plain}\n<source 0/0>\n  allow-starttls yes\n</source>\n`;
    const r = await start(config(a));
    const where = r.addressOf('127.0.0.36');
    const tlsSession = async () => {
      const c = await session(where);
      expect((await c.command('STARTTLS')).code).toBe(220);
      await c.startTls();
      expect((await c.command('EHLO client.example')).code).toBe(250);
      return c;
    };
    const old = await tlsSession();
    const oldPrint = fingerprint(old);

    const result = await r.listener.reload(loadConfigText(config(b)));
    expect(result.unchanged.map((x) => x.port)).toEqual([where.port]);
    expect(r.addressOf('127.0.0.36')).toEqual(where);

    const fresh = await tlsSession();
    expect(fingerprint(fresh)).not.toBe(oldPrint);
    expect(fingerprint(old)).toBe(oldPrint);
    const reply = await sendRaw(old, 'sender@client.example', ['rcpt@dest.example'], `${BODY}.\r\n`);
    expect(reply.text).toMatch(/^250 2\.0\.0 OK queued as /);
    expect((await sendRaw(fresh, 'sender@client.example', ['rcpt@dest.example'], `${BODY}.\r\n`)).code).toBe(250);
  });

  it('reports a listener that cannot bind and keeps the others running', async () => {
    const r = await start(`${BASE}smtp-listener 127.0.0.37:0\n`);
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.38', resolve));
    cleanups.push(() => new Promise((resolve) => squatter.close(resolve)));
    const taken = (squatter.address() as net.AddressInfo).port;

    const result = await r.listener.reload(loadConfigText(`${BASE}smtp-listener 127.0.0.37:0\nsmtp-listener 127.0.0.38:${taken}\n`));
    expect(result.added).toEqual([]);
    expect(result.failed).toEqual([{ name: `127.0.0.38:${taken}`, error: expect.stringMatching(/EADDRINUSE/) }]);
    expect(r.listener.addresses.map((a) => a.address)).toEqual(['127.0.0.37']);
    expect(r.events.some((e) => e.event === 'listen-failed' && e.address === '127.0.0.38' && e.port === taken)).toBe(true);
    await sendsMail(r, r.addressOf('127.0.0.37'));
  });
});

describe('close (graceful shutdown)', () => {
  it('421 to idle and new sessions, lets a message in DATA finish (250, stored), then 421 at its next command', async () => {
    const r = await start(`${BASE}smtp-listener 127.0.0.39:0\n`, { closeTimeoutMs: 30_000 });
    const where = r.addressOf('127.0.0.39');
    const idle = await session(where);
    const busy = await session(where);
    expect((await busy.command('MAIL FROM:<sender@client.example>')).code).toBe(250);
    expect((await busy.command('RCPT TO:<rcpt@dest.example>')).code).toBe(250);
    expect((await busy.command('DATA')).code).toBe(354);
    busy.write(BODY.slice(0, 20));

    const closed = r.listener.close();
    const idleReply = await idle.read();
    expect(idleReply.text).toBe('421 4.3.2 mx.test.example Service shutting down, try again later');
    await idle.closedByServer();

    const late = await connect(where);
    const lateReply = await late.read();
    expect(lateReply.code).toBe(421);
    expect(lateReply.text).toMatch(/^421 4\.3\.2 .*shutting down/);
    await late.closedByServer();

    busy.write(`${BODY.slice(20)}.\r\n`);
    const reply = await busy.read();
    expect(reply.text).toMatch(/^250 2\.0\.0 OK queued as /);
    expect((await r.store.get(queueIdOf(reply)!))?.body.toString()).toContain('hello');
    expect((await busy.command('MAIL FROM:<again@client.example>')).text).toMatch(/^421 4\.3\.2 /);
    await busy.closedByServer();

    await closed;
    expect(r.events.find((e) => e.event === 'shutdown-started')).toMatchObject({ sessions: 2 });
    expect(r.events.find((e) => e.event === 'shutdown-complete')).toMatchObject({ drained: 2, forced: 0 });
    expect(await refused(where)).toBe('ECONNREFUSED');
  });

  it('cuts a client that stalls in DATA when the bound is reached: no 250, nothing queued', async () => {
    const r = await start(`${BASE}smtp-listener 127.0.0.40:0\n`, { closeTimeoutMs: 300 });
    const stalled = await session(r.addressOf('127.0.0.40'));
    expect((await stalled.command('MAIL FROM:<sender@client.example>')).code).toBe(250);
    expect((await stalled.command('RCPT TO:<rcpt@dest.example>')).code).toBe(250);
    expect((await stalled.command('DATA')).code).toBe(354);
    stalled.write(BODY);

    await r.listener.close();
    await stalled.closedByServer();
    expect(stalled.pending).not.toMatch(/^250/m);
    expect(stalled.pending).toMatch(/^421 4\.3\.2 /);
    expect(r.events.find((e) => e.event === 'shutdown-complete')).toMatchObject({ drained: 0, forced: 1 });
    expect(await r.store.queueNames()).toEqual([]);
  });
});
