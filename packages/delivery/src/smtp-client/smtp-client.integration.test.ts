/**
 * connect() and transact() against real smtp-server receivers on 127.0.0.10 / 127.0.0.11, from
 * sources on 127.0.0.x (all of 127/8 is local on Linux). Every receiver records what it saw.
 */
import net from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { RouteHost } from '../stages/route.js';
import { connect, type SmtpTimeouts } from './connect.js';
import type { SmtpSession } from './smtp-session.js';
import { startReceiver, type Receiver, type ReceiverOptions } from '../testing/test-smtp-receiver.js';
import { transact } from './transact.js';
import type { TlsPolicy } from '../stages/tls-policy.js';

const timeouts: SmtpTimeouts = { connectTimeoutMs: 10_000, greetingTimeoutMs: 10_000, dataSendTimeoutMs: 10_000, idleTimeoutMs: 0 };
const source = { ip: '127.0.0.2', hostName: 'mta1.sender.test' };
const body = Buffer.from('From: a@sender.test\r\nTo: b@rcpt.test\r\nSubject: hi\r\n\r\nhello\r\n.leading dot\r\n');

const receivers: Receiver[] = [];
const sessions: SmtpSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiver(options: Partial<ReceiverOptions> = {}): Promise<Receiver> {
  const r = await startReceiver({ host: '127.0.0.10', startTls: false, ...options });
  receivers.push(r);
  return r;
}

const hostOf = (r: { host: string; port: number }, name = 'mx.rcpt.test'): RouteHost => ({ name, ip: r.host, port: r.port, preference: 10 });

async function open(r: Receiver | RouteHost[], tlsPolicy: TlsPolicy = 'disabled'): Promise<SmtpSession> {
  const session = await connect({ host: Array.isArray(r) ? r : hostOf(r), source, tlsPolicy, timeouts, logger: pino({ level: 'silent' }) });
  sessions.push(session);
  return session;
}

/** A port on 127.0.0.11 with nothing listening (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.11', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('connect', () => {
  it('binds the source address and says EHLO with the source host name', async () => {
    const r = await receiver();
    const session = await open(r);
    await transact(session, { mailFrom: 'a@sender.test', recipients: ['b@rcpt.test'], body });
    expect(r.connections).toEqual([{ remoteAddress: '127.0.0.2', heloName: 'mta1.sender.test', secure: false }]);
    expect(session.info.localAddress).toBe('127.0.0.2');
    expect(session.info.tls).toBeUndefined();
  });

  it('uses STARTTLS when offered (opportunistic) and records the protocol and cipher', async () => {
    const r = await receiver({ startTls: true });
    const session = await open(r, 'opportunistic');
    const result = await transact(session, { mailFrom: 'a@sender.test', recipients: ['b@rcpt.test'], body });
    expect(result.recipients[0]?.outcome).toBe('delivered');
    expect(session.info.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(session.info.tls?.cipher).toMatch(/\w+/);
    expect(r.connections[0]).toMatchObject({ secure: true, tlsProtocol: session.info.tls?.protocol });
  });

  it('opportunistic TLS goes on in plaintext with a server that offers no STARTTLS', async () => {
    const r = await receiver({ startTls: false });
    const session = await open(r, 'opportunistic');
    expect(session.info.tls).toBeUndefined();
    expect((await transact(session, { mailFrom: 'a@sender.test', recipients: ['b@rcpt.test'], body })).recipients[0]?.outcome).toBe('delivered');
  });

  it('required TLS against a server without STARTTLS fails the host before any envelope or DATA is sent', async () => {
    const r = await receiver({ startTls: false });
    const err = await connect({ host: hostOf(r), source, tlsPolicy: 'required', timeouts }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONNECT_FAILED', attempts: [{ tlsPolicy: 'required', failure: { kind: 'tls-unavailable' } }] });
    expect(r.commands.map((c) => c.split(/[ :]/)[0]?.toUpperCase())).toEqual(['EHLO', 'STARTTLS']);
    expect(r.raw()).not.toMatch(/MAIL FROM|RCPT TO|DATA|hello/i);
    expect(r.messages).toEqual([]);
  });

  it('opportunistic TLS retries the host once in plaintext when the TLS handshake fails', async () => {
    const r = await receiver({ brokenTls: true });
    const session = await open(r, 'opportunistic');
    expect(session.info).toMatchObject({ tlsPolicy: 'disabled', attempts: [{ tlsPolicy: 'opportunistic', failure: { kind: 'tls-handshake' } }] });
    expect(session.info.tls).toBeUndefined();
    expect(r.connections).toHaveLength(2);
    expect((await transact(session, { mailFrom: 'a@sender.test', recipients: ['b@rcpt.test'], body })).recipients[0]?.outcome).toBe('delivered');
  });

  it('required TLS never falls back to plaintext when the handshake fails', async () => {
    const r = await receiver({ brokenTls: true });
    const err = await connect({ host: hostOf(r), source, tlsPolicy: 'required', timeouts }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONNECT_FAILED', attempts: [{ failure: { kind: 'tls-handshake' } }] });
    expect(r.connections).toHaveLength(1);
    expect(r.commands.map((c) => c.split(/[ :]/)[0]?.toUpperCase())).toEqual(['EHLO', 'STARTTLS']);
    expect(r.messages).toEqual([]);
  });

  it('required TLS with a server that offers STARTTLS gives an encrypted session', async () => {
    const r = await receiver({ startTls: true });
    const session = await open(r, 'required');
    expect(session.info.tls).toBeDefined();
    await transact(session, { mailFrom: 'a@sender.test', recipients: ['b@rcpt.test'], body });
    expect(r.raw()).not.toMatch(/MAIL FROM|hello/);
    expect(r.messages).toHaveLength(1);
  });

  it('fails over to the next host when the first refuses the connection, and says how the first failed', async () => {
    const refused: RouteHost = { name: 'mx1.rcpt.test', ip: '127.0.0.11', port: await closedPort(), preference: 10 };
    const r = await receiver();
    const session = await open([refused, hostOf(r, 'mx2.rcpt.test')]);
    expect(session.info.host.name).toBe('mx2.rcpt.test');
    expect(session.info.attempts).toMatchObject([{ host: { name: 'mx1.rcpt.test' }, failure: { kind: 'refused', systemCode: 'ECONNREFUSED' } }]);
    expect(r.connections).toHaveLength(1);
  });

  it('fails over to the next host when the first greets with 421', async () => {
    const busy = await startReceiver({ host: '127.0.0.11', startTls: false, greeting: [421, '4.3.2 too busy'] });
    receivers.push(busy);
    const r = await receiver();
    const session = await open([hostOf(busy, 'mx1.rcpt.test'), hostOf(r, 'mx2.rcpt.test')]);
    expect(session.info.host.name).toBe('mx2.rcpt.test');
    expect(session.info.attempts).toMatchObject([{ host: { name: 'mx1.rcpt.test' }, failure: { kind: 'greeting', responseCode: 421 } }]);
  });

  it('gives up with every attempt listed when no host answers', async () => {
    const hosts = [await closedPort(), await closedPort()].map((port, i) => ({ name: `mx${i}`, ip: '127.0.0.11', port, preference: i }));
    const err = await connect({ host: hosts, source, tlsPolicy: 'opportunistic', timeouts }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ConnectError', code: 'CONNECT_FAILED', attempts: [{ host: { name: 'mx0' } }, { host: { name: 'mx1' } }] });
  });
});

describe('transact', () => {
  it('maps per-recipient RCPT replies: 550 bounced, 452 deferred, 250 delivered', async () => {
    const replies: Record<string, [number, string]> = {
      'gone@rcpt.test': [550, '5.1.1 No such user'],
      'full@rcpt.test': [452, '4.2.2 Mailbox full'],
    };
    const r = await receiver({ rcptReply: (a) => replies[a] });
    const session = await open(r);
    const result = await transact(session, { mailFrom: 'a@sender.test', recipients: ['gone@rcpt.test', 'full@rcpt.test', 'ok@rcpt.test'], body });
    expect(result.recipients).toMatchObject([
      { recipient: 'gone@rcpt.test', outcome: 'bounced', code: 550, enhancedCode: '5.1.1', phase: 'rcpt', category: 'bad-mailbox' },
      { recipient: 'full@rcpt.test', outcome: 'deferred', code: 452, enhancedCode: '4.2.2', phase: 'rcpt' },
      { recipient: 'ok@rcpt.test', outcome: 'delivered', code: 250, phase: 'dot' },
    ]);
    expect(r.messages).toMatchObject([{ from: 'a@sender.test', to: ['ok@rcpt.test'] }]);
    expect(r.messages[0]?.body).toContain('\r\n.leading dot\r\n');
    expect(result.sessionUsable).toBe(true);
  });

  it('bounces a non-ASCII recipient 550 5.6.7 when the next hop does not offer SMTPUTF8, and sends the others (RFC 6531)', async () => {
    const r = await receiver({ offerSmtputf8: false });
    const session = await open(r);
    const result = await transact(session, { mailFrom: 'a@sender.test', recipients: ['jürgen@rcpt.test', 'ok@rcpt.test'], body });
    expect(result.recipients).toMatchObject([
      { recipient: 'jürgen@rcpt.test', outcome: 'bounced', code: 550, enhancedCode: '5.6.7', phase: 'rcpt' },
      { recipient: 'ok@rcpt.test', outcome: 'delivered', code: 250, phase: 'dot' },
    ]);
    expect(r.commands.filter((c) => /^RCPT/i.test(c))).toEqual(['RCPT TO:<ok@rcpt.test>']);
    // A non-ASCII sender takes every recipient with it: nothing is sent.
    const all = await transact(session, { mailFrom: 'sénder@sender.test', recipients: ['ok@rcpt.test'], body });
    expect(all.recipients).toMatchObject([{ recipient: 'ok@rcpt.test', outcome: 'bounced', enhancedCode: '5.6.7' }]);
    expect(r.messages).toHaveLength(1);
  });

  it('returns an 8-bit body that cannot be converted 554 5.6.3 to a next hop without 8BITMIME (RFC 6152; the caller converts first), defers one that can, and sends 8-bit headers as they are', async () => {
    const r = await receiver({ offer8bitmime: false });
    const session = await open(r);
    const eight = Buffer.from('Subject: x\r\nContent-Transfer-Encoding: base64\r\n\r\nü\r\n');
    const result = await transact(session, { mailFrom: 'a@sender.test', recipients: ['ok@rcpt.test'], body: eight });
    expect(result.recipients).toMatchObject([{ recipient: 'ok@rcpt.test', outcome: 'bounced', code: 554, enhancedCode: '5.6.3' }]);
    expect(r.messages).toHaveLength(0);
    // A body that converts (made 8-bit for another host of the route) waits for a later try instead.
    const convertible = await transact(session, { mailFrom: 'a@sender.test', recipients: ['ok@rcpt.test'], body: Buffer.from('Subject: x\r\n\r\nü\r\n') });
    expect(convertible.recipients).toMatchObject([{ outcome: 'deferred', code: 451, enhancedCode: '4.6.3' }]);
    expect(r.messages).toHaveLength(0);
    const headersOnly = await transact(session, { mailFrom: 'a@sender.test', recipients: ['ok@rcpt.test'], body: Buffer.from('Subject: café\r\n\r\nplain\r\n') });
    expect(headersOnly.recipients).toMatchObject([{ outcome: 'delivered' }]);
    expect(r.commands.find((c) => /^MAIL/i.test(c))).not.toMatch(/BODY=/);
  });

  it('sends non-ASCII addresses with SMTPUTF8 to a next hop that offers it', async () => {
    const r = await receiver();
    const session = await open(r);
    const result = await transact(session, { mailFrom: 'sénder@sender.test', recipients: ['jürgen@rcpt.test'], body });
    expect(result.recipients).toMatchObject([{ recipient: 'jürgen@rcpt.test', outcome: 'delivered' }]);
    expect(r.commands.find((c) => /^MAIL/i.test(c))).toMatch(/^MAIL FROM:<sénder@sender\.test>.* SMTPUTF8/);
    expect(r.messages).toMatchObject([{ from: 'sénder@sender.test', to: ['jürgen@rcpt.test'] }]);
  });

  it('writes the message and its final dot line to the socket in one write', async () => {
    const r = await receiver();
    const session = await open(r);
    // The real socket's writes, recorded on their way through (the bytes still go to the receiver).
    const socket = (session.connection as unknown as { _socket: net.Socket })._socket;
    const writes: string[] = [];
    const write = socket.write.bind(socket) as (chunk: Buffer | string, ...rest: unknown[]) => boolean;
    socket.write = ((chunk: Buffer | string, ...rest: unknown[]) => (writes.push(chunk.toString()), write(chunk, ...rest))) as typeof socket.write;
    const result = await transact(session, { mailFrom: 'a@sender.test', recipients: ['ok@rcpt.test'], body });
    expect(result.recipients[0]).toMatchObject({ outcome: 'delivered', phase: 'dot' });
    const afterData = writes.slice(writes.indexOf('DATA\r\n') + 1);
    expect(afterData).toEqual([body.toString().replace('\r\n.leading', '\r\n..leading') + '.\r\n']);
    expect(r.messages[0]?.body).toContain('\r\n.leading dot\r\n');
  });

  it('writes a body of 64 KB or more and its final dot line straight to the socket, without the DataStream of nodemailer and its pipe', async () => {
    const r = await receiver();
    const session = await open(r);
    const conn = session.connection as unknown as { _socket: net.Socket; _currentDataStream: unknown };
    const socket = conn._socket;
    const writes: string[] = [];
    const streams: unknown[] = [];
    const write = socket.write.bind(socket) as (chunk: Buffer | string, ...rest: unknown[]) => boolean;
    socket.write = ((chunk: Buffer | string, ...rest: unknown[]) => (writes.push(chunk.toString()), streams.push(conn._currentDataStream), write(chunk, ...rest))) as typeof socket.write;
    const big = Buffer.concat([body, Buffer.from(`${'y'.repeat(78)}\r\n`.repeat(1000))]);
    const result = await transact(session, { mailFrom: 'a@sender.test', recipients: ['ok@rcpt.test'], body: big });
    expect(result.recipients[0]).toMatchObject({ outcome: 'delivered', phase: 'dot' });
    const afterData = writes.slice(writes.indexOf('DATA\r\n') + 1);
    expect(afterData.join('')).toBe(big.toString().replace('\r\n.leading', '\r\n..leading') + '.\r\n');
    // Written by the patch's whole-Buffer path: nodemailer's DataStream never made for this message.
    expect(streams.every((s) => s === false)).toBe(true);
    expect(r.messages[0]?.body.length).toBe(big.length);
  });

  it('bounces every accepted recipient on a 554 after DATA, and keeps the RCPT reply of the others', async () => {
    const r = await receiver({ rcptReply: (a) => (a === 'later@rcpt.test' ? [451, '4.3.0 try later'] : undefined), dataReply: () => [554, '5.7.1 Message rejected as spam'] });
    const session = await open(r);
    const result = await transact(session, { mailFrom: 'a@sender.test', recipients: ['x@rcpt.test', 'y@rcpt.test', 'later@rcpt.test'], body });
    expect(result.recipients).toMatchObject([
      { recipient: 'x@rcpt.test', outcome: 'bounced', code: 554, enhancedCode: '5.7.1', phase: 'dot', category: 'spam-related' },
      { recipient: 'y@rcpt.test', outcome: 'bounced', code: 554, phase: 'dot' },
      { recipient: 'later@rcpt.test', outcome: 'deferred', code: 451, phase: 'rcpt' },
    ]);
    expect(result.response).toMatch(/^554/);
  });

  it('defers everyone, flagged as a possible duplicate, when the server drops the connection after the final dot', async () => {
    const r = await receiver({ dropAfterDot: true });
    const session = await open(r);
    const result = await transact(session, { mailFrom: 'a@sender.test', recipients: ['x@rcpt.test', 'y@rcpt.test'], body });
    expect(r.messages).toHaveLength(1);
    expect(result).toMatchObject({ connectionLost: 'after-data', possibleDuplicate: true, sessionUsable: false });
    expect(result.recipients).toMatchObject([
      { recipient: 'x@rcpt.test', outcome: 'deferred', code: 451, enhancedCode: '4.4.2', phase: 'dot', category: 'bad-connection' },
      { recipient: 'y@rcpt.test', outcome: 'deferred', phase: 'dot' },
    ]);
  });

  it('sends two messages on one connection without RSET after a finished one, and counts them', async () => {
    const r = await receiver();
    const session = await open(r);
    const first = await transact(session, { mailFrom: 'a@sender.test', recipients: ['x@rcpt.test'], body });
    const second = await transact(session, { mailFrom: 'b@sender.test', recipients: ['y@rcpt.test'], body, envId: 'ENV1' });
    expect([first.recipients[0]?.outcome, second.recipients[0]?.outcome]).toEqual(['delivered', 'delivered']);
    expect(session.messagesSent).toBe(2);
    expect(session.canSendMore(2)).toBe(false);
    expect(session.canSendMore(0)).toBe(true);
    expect(r.connections).toHaveLength(1);
    const verbs = r.commands.map((c) => c.split(/[ :]/)[0]?.toUpperCase());
    expect(verbs).toEqual(['EHLO', 'MAIL', 'RCPT', 'DATA', 'MAIL', 'RCPT', 'DATA']);
    expect(r.messages.map((m) => m.from)).toEqual(['a@sender.test', 'b@sender.test']);
  });

  it('sends RSET before the next message when the previous transaction stopped before DATA', async () => {
    const r = await receiver({ rcptReply: (a) => (a.startsWith('gone') ? [550, '5.1.1 no such user'] : undefined) });
    const session = await open(r);
    const first = await transact(session, { mailFrom: 'a@sender.test', recipients: ['gone@rcpt.test'], body });
    const second = await transact(session, { mailFrom: 'b@sender.test', recipients: ['y@rcpt.test'], body });
    expect([first.recipients[0]?.outcome, second.recipients[0]?.outcome]).toEqual(['bounced', 'delivered']);
    const verbs = r.commands.map((c) => c.split(/[ :]/)[0]?.toUpperCase());
    // nodemailer may pipeline DATA behind the refused RCPT; either way the transaction was not finished.
    expect(verbs.filter((v) => v === 'RSET')).toHaveLength(1);
    expect(verbs.slice(verbs.indexOf('RSET'))).toEqual(['RSET', 'MAIL', 'RCPT', 'DATA']);
  });

  it('defers instead of sending on a session that is closed', async () => {
    const r = await receiver();
    const session = await open(r);
    await session.close();
    const result = await transact(session, { mailFrom: 'a@sender.test', recipients: ['x@rcpt.test'], body });
    expect(result).toMatchObject({ sessionUsable: false, recipients: [{ outcome: 'deferred', code: 451 }] });
    expect(r.commands.map((c) => c.split(/[ :]/)[0]?.toUpperCase())).toEqual(['EHLO', 'QUIT']);
  });
});
