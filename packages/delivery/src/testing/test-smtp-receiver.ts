/**
 * Test receiver: an smtp-server on a 127.0.0.x address that records what a client did (every
 * command, every raw byte before TLS, the messages) and answers as told. For tests only.
 */
import type net from 'node:net';
import type tls from 'node:tls';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { generate } from 'selfsigned';

export interface ReceivedConnection {
  remoteAddress: string;
  /** EHLO/HELO name. */
  heloName: string;
  secure: boolean;
  tlsProtocol?: string;
}

export interface ReceivedMessage {
  /** The source address of the connection it came on. */
  clientIp: string;
  from: string;
  to: string[];
  body: string;
  /** The smtp-server session (connection) it came on: see `Receiver.sessions`. */
  sessionId: string;
}

/** One connection as the receiver saw it: still open, and whether the client said QUIT. */
export interface ReceivedSession {
  open: boolean;
  quit: boolean;
}

export interface ReceiverOptions {
  host: string;
  /** Offer STARTTLS (self-signed certificate). */
  startTls: boolean;
  /** Reply for a recipient: [code, text], or undefined to accept; `clientIp`: the connection's source address. */
  rcptReply?: (address: string, clientIp: string) => [number, string] | undefined;
  /** Reply to the message after the dot, or undefined for 250. */
  dataReply?: () => [number, string] | undefined;
  /** Offer STARTTLS but fail every handshake (an EC certificate with only RSA ciphers allowed). */
  brokenTls?: boolean;
  /** Greet with this reply instead of 220 (e.g. 421 too busy); a function decides by the client's address (undefined: 220). */
  greeting?: [number, string] | ((clientIp: string) => [number, string] | undefined);
  /** Drop the TCP connection once the whole message (the final dot) arrived, without a reply. */
  dropAfterDot?: boolean;
  /** Offer DSN (RFC 3461) in the EHLO reply: default yes, as smtp-server does. */
  offerDsn?: boolean;
  /** Offer SMTPUTF8 (RFC 6531) in the EHLO reply: default yes, as smtp-server does. */
  offerSmtputf8?: boolean;
  /** Offer 8BITMIME (RFC 6152); default true. */
  offer8bitmime?: boolean;
  /** Reply to the final dot this long after the message arrived (it is recorded at once). */
  replyDelayMs?: number;
  /** Offer STARTTLS with this certificate and these TLS versions instead of the self-signed mx.test one. */
  tls?: { key: string; cert: string; minVersion?: tls.SecureVersion; maxVersion?: tls.SecureVersion; ciphers?: string };
}

export interface Receiver {
  host: string;
  port: number;
  connections: ReceivedConnection[];
  /** Every command line, "MAIL FROM:<a@b>" etc., in order. */
  commands: string[];
  /** Raw bytes the clients sent in plaintext (the TLS part of a connection is not decoded). */
  raw: () => string;
  messages: ReceivedMessage[];
  /** Every connection by its session id. */
  sessions: Map<string, ReceivedSession>;
  /** The ids of the connections open now. */
  openSessions: () => string[];
  close: () => Promise<void>;
}

let certificate: Promise<{ key: string; cert: string }> | undefined;
function testCertificate(): Promise<{ key: string; cert: string }> {
  certificate ??= generate([{ name: 'commonName', value: 'mx.test' }], { keyType: 'ec', algorithm: 'sha256' }).then((p) => ({
    key: p.private,
    cert: p.cert,
  }));
  return certificate;
}

const smtpError = (code: number, text: string): Error => Object.assign(new Error(text), { responseCode: code });

export async function startReceiver(options: ReceiverOptions): Promise<Receiver> {
  const { key, cert } = options.tls ?? (await testCertificate());
  const versions = options.tls ? { ...(options.tls.minVersion ? { minVersion: options.tls.minVersion } : {}), ...(options.tls.maxVersion ? { maxVersion: options.tls.maxVersion } : {}), ...(options.tls.ciphers ? { ciphers: options.tls.ciphers } : {}) } : {};
  const connections: ReceivedConnection[] = [];
  const commands: string[] = [];
  const messages: ReceivedMessage[] = [];
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const byId = new Map<string, ReceivedConnection>();
  const sessions = new Map<string, ReceivedSession>();
  const record = (session: SMTPServerSession): ReceivedConnection => {
    let c = byId.get(session.id);
    if (c === undefined) {
      c = { remoteAddress: session.remoteAddress, heloName: '', secure: false };
      byId.set(session.id, c);
      connections.push(c);
    }
    c.heloName = session.hostNameAppearsAs || c.heloName;
    c.secure = session.secure;
    return c;
  };
  const logger = {
    debug: (entry: { tnx?: string; cid?: string; command?: string }, _fmt: string, line?: string) => {
      if (entry.tnx === 'command' && typeof line === 'string') commands.push(line);
      if (entry.tnx === 'command' && entry.command === 'QUIT' && entry.cid !== undefined) {
        const s = sessions.get(entry.cid);
        if (s) s.quit = true;
      }
    },
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    trace: () => undefined,
    fatal: () => undefined,
    child: () => logger,
  };
  const server = new SMTPServer({
    key,
    cert,
    ...(options.brokenTls ? { maxVersion: 'TLSv1.2' as const, ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' } : {}),
    ...versions,
    disabledCommands: options.startTls || options.brokenTls || options.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    authOptional: true,
    disableReverseLookup: true,
    closeTimeout: 1000,
    hideDSN: options.offerDsn === false,
    hideSMTPUTF8: options.offerSmtputf8 === false,
    hide8BITMIME: options.offer8bitmime === false,
    logger: logger as never,
    onConnect(session, cb) {
      record(session);
      sessions.set(session.id, { open: true, quit: false });
      const g = typeof options.greeting === 'function' ? options.greeting(session.remoteAddress) : options.greeting;
      cb(g === undefined ? null : smtpError(g[0], g[1]));
    },
    onClose(session) {
      const s = sessions.get(session.id);
      if (s) s.open = false;
    },
    onSecure(socket, session, cb) {
      const c = record(session);
      c.secure = true;
      c.tlsProtocol = (socket as tls.TLSSocket).getProtocol?.() ?? undefined;
      cb();
    },
    onMailFrom(_address, session, cb) {
      record(session);
      cb();
    },
    onRcptTo(address, session, cb) {
      const r = options.rcptReply?.(address.address, session.remoteAddress);
      cb(r === undefined ? null : smtpError(r[0], r[1]));
    },
    onData(stream, session, cb) {
      const parts: Buffer[] = [];
      stream.on('data', (b: Buffer) => parts.push(b));
      stream.on('end', () => {
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        messages.push({ clientIp: session.remoteAddress, from, to: session.envelope.rcptTo.map((r) => r.address), body: Buffer.concat(parts).toString('utf8'), sessionId: session.id });
        if (options.dropAfterDot) {
          for (const s of sockets) s.destroy();
          return;
        }
        const r = options.dataReply?.();
        const reply = () => cb(r === undefined ? null : smtpError(r[0], r[1]));
        if (options.replyDelayMs) setTimeout(reply, options.replyDelayMs);
        else reply();
      });
    },
  });
  server.server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('data', (b: Buffer) => chunks.push(b));
    s.once('close', () => sockets.delete(s));
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host, () => resolve((server.server.address() as net.AddressInfo).port));
  });
  // Client-caused errors (a failed TLS handshake) are expected here; the assertions look at what was recorded.
  server.removeAllListeners('error');
  server.on('error', () => undefined);
  return {
    host: options.host,
    port,
    connections,
    commands,
    messages,
    sessions,
    openSessions: () => [...sessions].filter(([, s]) => s.open).map(([id]) => id),
    raw: () => Buffer.concat(chunks).toString('latin1'),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A plain receiver that answers each message after `delayMs` (or what the function says for it) and records the most connections open at once and how many were opened. */
export async function startSlowReceiver(delayMs: number | (() => number), host = '127.0.0.10') {
  let open = 0;
  let peak = 0;
  let received = 0;
  let connections = 0;
  const server = new SMTPServer({
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    onConnect(_s, cb) {
      open += 1;
      connections += 1;
      peak = Math.max(peak, open);
      cb();
    },
    onClose() {
      open -= 1;
    },
    onData(stream, _s, cb) {
      stream.resume();
      stream.on('end', () =>
        setTimeout(
          () => {
            received += 1;
            cb();
          },
          typeof delayMs === 'number' ? delayMs : delayMs(),
        ),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.server.address() as net.AddressInfo).port;
  return { port, peak: () => peak, open: () => open, connections: () => connections, received: () => received, close: () => new Promise<void>((r) => server.close(() => r())) };
}
