/**
 * patches/smtp-server@3.21.6.patch: smtp-server handed every TLS socket it makes (STARTTLS, implicit TLS)
 * an SNI callback, so Node enabled OpenSSL's certificate callback and every handshake went from OpenSSL
 * into JavaScript (`_resolveSNI`, punycode of the name) and back to pick the one context there is. The
 * patch hands the callback over only when there is something to choose: an `SNICallback` of the
 * application or `sniOptions` (a second context). Real sockets, real TLS, the server as the listener
 * builds it (smtp-server's own class, not ours: the patch is in it).
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { generate } from 'selfsigned';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RawSmtp } from './testing/smtp-test-kit.js';

const pem = (name: string) =>
  generate([{ name: 'commonName', value: name }], { keyType: 'ec', algorithm: 'sha256', notAfterDate: new Date(Date.now() + 86_400_000) });

let server: SMTPServer | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** STARTTLS with `servername`: the certificate's CN, what onSecure saw, and how often _resolveSNI ran. */
async function startTls(options: Partial<SMTPServerOptions>, servername: string) {
  const main = await pem('main.example');
  const seen: Array<string | undefined> = [];
  server = new SMTPServer({
    key: main.private,
    cert: main.cert,
    disableReverseLookup: true,
    authOptional: true,
    logger: false,
    onSecure: (_socket, session, cb) => {
      seen.push((session as { servername?: string }).servername);
      cb();
    },
    ...options,
  });
  const resolve = vi.spyOn(server as unknown as { _resolveSNI(n: string, cb: unknown): void }, '_resolveSNI');
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const c = await RawSmtp.connect((server.server.address() as AddressInfo).port);
  try {
    expect((await c.read()).code).toBe(220);
    await c.command('EHLO client.example');
    expect((await c.command('STARTTLS')).code).toBe(220);
    await c.startTls({ servername });
    expect((await c.command('EHLO client.example')).code).toBe(250);
    const cn = /CN=(\S+)/.exec((c.socket as TLSSocket).getPeerX509Certificate()?.subject ?? '')?.[1];
    return { cn, servername: seen[0], sniCalls: resolve.mock.calls.length };
  } finally {
    c.close();
  }
}

describe('STARTTLS and SNI (smtp-server patch)', () => {
  it('does not call the SNI resolver when the server has one certificate, and still records the name the client asked for', async () => {
    expect(await startTls({}, 'mx.client-asked.example')).toEqual({ cn: 'main.example', servername: 'mx.client-asked.example', sniCalls: 0 });
  });

  it('still picks the certificate of sniOptions by the name the client asks for', async () => {
    const other = await pem('other.example');
    const sniOptions = { 'other.example': { key: other.private, cert: other.cert } } as unknown as SMTPServerOptions['sniOptions'];
    expect(await startTls({ sniOptions }, 'other.example')).toEqual({ cn: 'other.example', servername: 'other.example', sniCalls: 1 });
  });
});
