/**
 * Test helpers for the listener: certificates, a listener on a test Redis, a raw SMTP client.
 * Built, and exported through "./testing" for the root test/ folder; imported by tests only.
 */
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { loadConfigText, type VmtaConfig } from '@vmta/config';
import { createRedis, MessageStore } from '@vmta/queue';
import { generate } from 'selfsigned';
import { startListener, type RunningListener, type StartListenerOptions } from '../listener.js';

export const CERT_PASSWORD = 'c3rt-pass';

export interface TestCertificates {
  dir: string;
  /** Certificate chain + plain key. */
  plain: string;
  /** Certificate chain + key encrypted with CERT_PASSWORD. */
  encrypted: string;
  cleanup(): void;
}

export async function makeCertificates(): Promise<TestCertificates> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vmta-listener-cert-'));
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 86_400_000),
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  const plain = path.join(dir, 'plain.pem');
  writeFileSync(plain, `${pems.cert}${pems.private}`);
  const encryptedKey = createPrivateKey(pems.private).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: CERT_PASSWORD });
  const encrypted = path.join(dir, 'encrypted.pem');
  writeFileSync(encrypted, `${pems.cert}${encryptedKey.toString()}`);
  return { dir, plain, encrypted, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestListener {
  listener: RunningListener;
  config: VmtaConfig;
  store: MessageStore;
  prefix: string;
  redisUrl: string;
  /** Port of the n-th configured listener. */
  port(n?: number): number;
  host(n?: number): string;
  close(): Promise<void>;
}

/** Where the listener's Redis is: getTestRedis() (its prefix may end in ':') or a private Redis. */
export interface RedisTarget {
  url: string;
  prefix?: string;
  cleanup?: () => Promise<number>;
}

/** Starts a listener on `configText` (listen on 127.0.0.x:0) against `redis`. */
export async function startTestListener(
  redis: RedisTarget,
  configText: string,
  opts: { limits?: StartListenerOptions['limits']; logger?: StartListenerOptions['logger']; inject?: StartListenerOptions['inject'] } = {},
): Promise<TestListener> {
  const config = loadConfigText(configText);
  const url = redis.url;
  const prefix = (redis.prefix ?? 'vmta').replace(/:$/, '');
  const cleanup = redis.cleanup ?? (async () => 0);
  const listener = await startListener({ config, redisUrl: url, prefix, limits: { closeTimeoutMs: 500, ...opts.limits }, ...(opts.logger ? { logger: opts.logger } : {}), ...(opts.inject ? { inject: opts.inject } : {}) });
  const client = createRedis(url, 'cli', { retryStrategy: (n) => Math.min(n * 100, 500), maxRetriesPerRequest: 3 });
  client.on('error', () => {});
  const store = new MessageStore(client, { prefix });
  return {
    listener,
    config,
    store,
    prefix,
    redisUrl: url,
    port: (n = 0) => listener.addresses[n]!.port,
    host: (n = 0) => listener.addresses[n]!.address,
    async close() {
      await listener.close();
      await cleanup().catch(() => 0);
      client.disconnect();
    },
  };
}

export interface Reply {
  code: number;
  lines: string[];
  /** All lines joined with "\n", codes included. */
  text: string;
}

/** A raw SMTP client: exact bytes out, replies parsed in order. */
export class RawSmtp {
  private buffer = '';
  private waiters: Array<() => void> = [];
  private closed = false;
  private constructor(public socket: net.Socket | tls.TLSSocket) {
    this.attach(socket);
  }

  private attach(socket: net.Socket | tls.TLSSocket): void {
    socket.on('data', (d: Buffer) => {
      this.buffer += d.toString('latin1');
      this.notifyWaiters();
    });
    socket.on('close', () => {
      this.closed = true;
      this.notifyWaiters();
    });
    socket.on('error', () => {});
  }

  private notifyWaiters(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  /** `localAddress`: the client's own address (another 127.x.x.x: another <source>). */
  static connect(port: number, host = '127.0.0.1', options: { tls?: boolean; localAddress?: string } = {}): Promise<RawSmtp> {
    return new Promise((resolve, reject) => {
      const from = options.localAddress !== undefined ? { localAddress: options.localAddress } : {};
      const socket = options.tls
        ? tls.connect({ port, host, rejectUnauthorized: false, servername: 'localhost', ...from }, () => resolve(new RawSmtp(socket)))
        : net.connect({ port, host, ...from }, () => resolve(new RawSmtp(socket)));
      socket.once('error', reject);
    });
  }

  /** The next complete reply (possibly multi-line). */
  async read(): Promise<Reply> {
    for (;;) {
      const lines: string[] = [];
      let rest = this.buffer;
      for (;;) {
        const i = rest.indexOf('\r\n');
        if (i < 0) break;
        const line = rest.slice(0, i);
        rest = rest.slice(i + 2);
        lines.push(line);
        if (/^\d{3}(?: |$)/.test(line)) {
          this.buffer = rest;
          return { code: Number(line.slice(0, 3)), lines, text: lines.join('\n') };
        }
      }
      if (this.closed) throw new Error(`connection closed; pending: ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Bytes received but not yet read as replies. */
  get pending(): string {
    return this.buffer;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  async command(line: string): Promise<Reply> {
    this.write(`${line}\r\n`);
    return this.read();
  }

  /** Upgrades the connection after a 220 to STARTTLS (`options`: more of the client's TLS options). */
  async startTls(options: tls.ConnectionOptions = {}): Promise<void> {
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    await new Promise<void>((resolve, reject) => {
      const s = tls.connect({ socket: raw, rejectUnauthorized: false, servername: 'localhost', ...options }, () => resolve());
      s.once('error', reject);
      this.socket = s;
      this.attach(s);
    });
  }

  /** Waits until the server closes the connection. */
  async closedByServer(): Promise<void> {
    while (!this.closed) await new Promise<void>((r) => this.waiters.push(r));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A new connection to `t`'s first listener, greeted (220) and past `EHLO client.example` (250); throws on another reply. */
export async function ehloSession(t: Pick<TestListener, 'port' | 'host'>): Promise<RawSmtp> {
  const c = await RawSmtp.connect(t.port(), t.host());
  for (const [reply, code] of [[await c.read(), 220], [await c.command('EHLO client.example'), 250]] as const) {
    if (reply.code !== code) {
      c.close();
      throw new Error(`expected ${code}, got ${reply.text}`);
    }
  }
  return c;
}

export const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** `s` as UTF-8 bytes for RawSmtp's command/write (they send each char as one byte: 'é' alone is not UTF-8). */
export const utf8 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

/** One AUTH PLAIN (credentials on the AUTH line) on a new connection, without TLS; the reply line. */
export async function authPlainOnce(l: TestListener, user: string, password: string): Promise<string> {
  const c = await RawSmtp.connect(l.port(), l.host());
  try {
    await c.read();
    await c.command('EHLO client.example');
    return (await c.command(`AUTH PLAIN ${b64(`\0${user}\0${password}`)}`)).text;
  } finally {
    c.close();
  }
}

/** Config lines: the user `alice` / `s3cret`, who may AUTH in the clear from any client. */
export const CLEAR_AUTH_ALICE = `
<smtp-user alice>
  password s3cret
</smtp-user>
<source 0/0>
  allow-unencrypted-plain-auth yes
</source>
`;

/** A listener whose users may AUTH in the clear, `alice` / `s3cret`, and `smtp-max-auth-failure-rate RATE`. */
export const authLockoutConfig = (addr: string, rate: string) => `
smtp-listener ${addr}:0
<smtp-user alice>
  password s3cret
</smtp-user>
<source 0/0>
  allow-unencrypted-plain-auth yes
  smtp-max-auth-failure-rate ${rate}
</source>
`;

/** EHLO then MAIL/RCPT/DATA with `data` sent verbatim (must end with CRLF.CRLF); returns the DATA reply. */
export async function sendRaw(c: RawSmtp, from: string, to: string[], data: string | Buffer): Promise<Reply> {
  let r = await c.command(`MAIL FROM:<${from}>`);
  if (r.code !== 250) return r;
  for (const rcpt of to) {
    r = await c.command(`RCPT TO:<${rcpt}>`);
    if (r.code !== 250) return r;
  }
  r = await c.command('DATA');
  if (r.code !== 354) return r;
  c.write(data);
  return c.read();
}

export function queueIdOf(reply: Reply): string | undefined {
  return /queued as (\S+)/.exec(reply.text)?.[1];
}
