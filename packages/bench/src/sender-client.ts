/**
 * The load client for the senders smtp-source cannot imitate: STARTTLS and AUTH
 * on every connection, many recipients per message, a size mix. The same client
 * drives Postfix, Haraka and us. It speaks plain SMTP without PIPELINING (as
 * nodemailer and most libraries do), takes the next message from a shared
 * counter (so a 2 MB message does not stall one session's share), and records
 * connect → 220 and final dot → 250 for every connection and message.
 * TLS: a full handshake per connection (no session resumption, like nodemailer),
 * certificates not verified (self-signed on loopback).
 */
import { createConnection, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { Replies, type Reply } from './smtp-replies.js';

export interface SenderLoad {
  host: string;
  port: number;
  sessions: number;
  messages: number;
  /** true: connect, greet, one message, QUIT per message; false: one connection per session for all its messages. */
  connectionPerMessage: boolean;
  /**
   * STARTTLS, EHLO again and AUTH PLAIN on every connection. `serverKey`: the key type (`rsa`, `ec`) the
   * server's certificate must have; checked on the first connection of a run, a mismatch fails it.
   */
  submission?: { user: string; password: string; serverKey?: string };
  from: string;
  /** Envelope recipients of message k. */
  recipients(k: number): string[];
  /** Text of message k without the final dot (CRLF line ends, dot-stuffed). */
  body(k: number): Buffer;
  /** Offered rate (messages per second, open loop: a late message goes at once); default as fast as replies come. */
  rate?: number;
}

export interface SenderResult {
  ms: number;
  sent: number;
  failures: number;
  /** The first failure, for the log. */
  firstError?: string;
  /** ms from writing the final dot to reading its 250, per message. */
  dotTo250: number[];
  /** ms from the TCP connect to the 220 greeting, per connection. */
  connectTo220: number[];
  /** The key type of the server's certificate on the first TLS connection. */
  serverKey?: string;
}

class SmtpError extends Error {
  readonly code = 'BENCH_SMTP_REPLY';
}

/** One SMTP connection: connect, greeting, EHLO, optionally STARTTLS and AUTH. */
class Connection {
  private constructor(
    private socket: Socket | TLSSocket,
    private replies: Replies,
  ) {}

  static async open(load: SenderLoad, out: SenderResult): Promise<Connection> {
    const socket = createConnection({ host: load.host, port: load.port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const t0 = performance.now();
    socket.setNoDelay(true);
    const c = new Connection(socket, new Replies(socket));
    await c.expect(2);
    out.connectTo220.push(performance.now() - t0);
    await c.command('EHLO client.bench.test', 2);
    if (load.submission) {
      await c.command('STARTTLS', 2);
      c.replies.detach();
      const secure = tlsConnect({ socket, rejectUnauthorized: false, servername: 'mta.bench.test' });
      await new Promise<void>((resolve, reject) => {
        secure.once('secureConnect', resolve);
        secure.once('error', reject);
      });
      c.socket = secure;
      c.replies = new Replies(secure);
      if (out.serverKey === undefined) {
        out.serverKey = secure.getPeerX509Certificate()?.publicKey.asymmetricKeyType ?? 'none';
        const want = load.submission.serverKey;
        if (want !== undefined && out.serverKey !== want) {
          secure.destroy();
          throw new Error(`the server presented a ${out.serverKey} certificate, the load expects ${want}`);
        }
      }
      await c.command('EHLO client.bench.test', 2);
      const token = Buffer.from(`\0${load.submission.user}\0${load.submission.password}`).toString('base64');
      await c.command(`AUTH PLAIN ${token}`, 2);
    }
    return c;
  }

  async expect(klass: number, what = 'greeting'): Promise<Reply> {
    const r = await this.replies.next();
    if (Math.floor(r.code / 100) !== klass) throw new SmtpError(`${what}: ${r.text}`);
    return r;
  }

  command(line: string, klass: number): Promise<Reply> {
    this.socket.write(`${line}\r\n`);
    return this.expect(klass, line.split(' ')[0]);
  }

  /** One transaction; resolves with ms from the final dot to the 250. */
  async send(from: string, to: string[], body: Buffer): Promise<number> {
    await this.command(`MAIL FROM:<${from}>`, 2);
    for (const rcpt of to) await this.command(`RCPT TO:<${rcpt}>`, 2);
    await this.command('DATA', 3);
    this.socket.write(body);
    const dot = performance.now();
    this.socket.write('.\r\n');
    await this.expect(2, 'final dot');
    return performance.now() - dot;
  }

  async quit(): Promise<void> {
    await this.command('QUIT', 2).catch(() => undefined);
    this.socket.destroy();
  }

  reset(): Promise<unknown> {
    return this.command('RSET', 2);
  }

  close(): void {
    this.socket.destroy();
  }
}

export async function runSenders(load: SenderLoad): Promise<SenderResult> {
  const out: SenderResult = { ms: 0, sent: 0, failures: 0, dotTo250: [], connectTo220: [] };
  let next = 0;
  const t0 = performance.now();
  const fail = (err: unknown) => {
    out.failures++;
    out.firstError ??= err instanceof Error ? err.message : String(err);
  };
  const waitUntilDue = async (k: number) => {
    if (!load.rate || !Number.isFinite(load.rate)) return;
    const wait = t0 + (k * 1000) / load.rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  };
  // A server that refuses everything would make the run last for its error delays: give up after this many.
  const giveUpAfter = Math.max(20, load.messages / 20);
  const session = async () => {
    let conn: Connection | undefined;
    for (let k = next++; k < load.messages && out.failures <= giveUpAfter; k = next++) {
      await waitUntilDue(k);
      try {
        conn ??= await Connection.open(load, out);
        out.dotTo250.push(await conn.send(load.from, load.recipients(k), load.body(k)));
        out.sent++;
        if (load.connectionPerMessage) {
          await conn.quit();
          conn = undefined;
        }
      } catch (err) {
        fail(err);
        if (err instanceof SmtpError && !load.connectionPerMessage && conn) await conn.reset().catch(() => ((conn?.close(), (conn = undefined))));
        else {
          conn?.close();
          conn = undefined;
        }
      }
    }
    await conn?.quit();
  };
  await Promise.all(Array.from({ length: load.sessions }, session));
  out.failures = load.messages - out.sent;
  out.ms = performance.now() - t0;
  return out;
}

/** connect → 220, one connection at a time (then QUIT): what a new connection waits for its greeting. */
export async function probeGreeting(host: string, port: number, connections: number): Promise<number[]> {
  const out: SenderResult = { ms: 0, sent: 0, failures: 0, dotTo250: [], connectTo220: [] };
  const load = { host, port } as SenderLoad;
  for (let i = 0; i < connections; i++) {
    const c = await Connection.open(load, out).catch(() => undefined);
    await c?.quit();
  }
  return out.connectTo220;
}
