import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { smtpTlsOptions, type TlsPolicy } from './tls-policy.js';

/** Real sockets on loopback: what nodemailer does with each policy against servers with and without STARTTLS. */
function listen(startTls: boolean): Promise<{ server: SMTPServer; port: number }> {
  const server = new SMTPServer({ disabledCommands: startTls ? [] : ['STARTTLS'], disableReverseLookup: true, authOptional: true, logger: false });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.server.address() as { port: number }).port })));
}

async function connect(port: number, policy: TlsPolicy): Promise<{ secure: boolean } | { error: string }> {
  const conn = new SMTPConnection({ host: '127.0.0.1', port, ...smtpTlsOptions(policy, { servername: 'mx.example.test' }), logger: false });
  return new Promise((resolve) => {
    conn.once('error', (e: Error & { code?: string }) => resolve({ error: e.code ?? 'unknown' }));
    conn.connect(() => {
      resolve({ secure: conn.secure });
      conn.quit();
    });
  });
}

let withTls: { server: SMTPServer; port: number };
let withoutTls: { server: SMTPServer; port: number };
beforeAll(async () => {
  [withTls, withoutTls] = await Promise.all([listen(true), listen(false)]);
});
afterAll(async () => {
  await Promise.all([withTls, withoutTls].map((s) => new Promise<void>((r) => s.server.close(() => r()))));
});

describe('smtpTlsOptions with nodemailer against a real server', () => {
  it.each([
    ['disabled', 'offers STARTTLS', { secure: false }],
    ['opportunistic', 'offers STARTTLS', { secure: true }],
    ['required', 'offers STARTTLS', { secure: true }],
    ['disabled', 'does not offer STARTTLS', { secure: false }],
    ['opportunistic', 'does not offer STARTTLS', { secure: false }],
    ['required', 'does not offer STARTTLS', { error: 'ETLS' }],
  ] as const)('%s TLS to a server that %s ends with %j', async (policy, offer, expected) => {
    const port = offer === 'offers STARTTLS' ? withTls.port : withoutTls.port;
    expect(await connect(port, policy)).toEqual(expected);
  });
});
