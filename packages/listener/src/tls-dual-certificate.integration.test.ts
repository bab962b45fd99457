import { getTestRedis } from '@vmta/testing';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTlsCertificate } from './tls-certificate.js';
import { RawSmtp, startTestListener, type TestListener } from './testing/smtp-test-kit.js';

let dir: string;
let dual: string;
let t: TestListener;

const pair = (keyType: 'rsa' | 'ec') =>
  generate([{ name: 'commonName', value: `localhost-${keyType}` }], {
    keyType,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 86_400_000),
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] }],
  });

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vmta-dual-cert-'));
  const [rsa, ec] = await Promise.all([pair('rsa'), pair('ec')]);
  dual = path.join(dir, 'dual.pem');
  // RSA first: the order in the file must not decide which certificate an ECDSA-capable client gets.
  writeFileSync(dual, `${rsa.cert}${rsa.private}${ec.cert}${ec.private}`);
  writeFileSync(path.join(dir, 'two-rsa.pem'), `${rsa.cert}${rsa.private}${rsa.cert}${rsa.private}`);
  writeFileSync(path.join(dir, 'orphan-key.pem'), `${rsa.cert}${rsa.private}${ec.private}`);
  const config = ['host-name mx.test.example', 'smtp-listener 127.0.0.1:0', `smtp-server-tls-certificate ${dual}`, '<source 0/0>', '  allow-starttls yes', '</source>'];
  t = await startTestListener(await getTestRedis(), `${config.join('\n')}\n`);
});

afterAll(async () => {
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function certificateAfterStartTls(options: { sigalgs?: string } = {}): Promise<{ type: string | undefined; cn: string | undefined }> {
  const c = await RawSmtp.connect(t.port(), t.host());
  try {
    expect((await c.read()).code).toBe(220);
    await c.command('EHLO client.example');
    expect((await c.command('STARTTLS')).text).toBe('220 2.0.0 Ready to start TLS');
    await c.startTls({ maxVersion: 'TLSv1.3', ...options });
    const cert = (c.socket as TLSSocket).getPeerX509Certificate();
    expect((await c.command('EHLO client.example')).code).toBe(250);
    return { type: cert?.publicKey.asymmetricKeyType, cn: /CN=(\S+)/.exec(cert?.subject ?? '')?.[1] };
  } finally {
    c.close();
  }
}

describe('a TLS certificate file with an RSA and an ECDSA certificate', () => {
  it('presents the ECDSA certificate after STARTTLS to a client that accepts ECDSA signatures', async () => {
    expect(await certificateAfterStartTls()).toEqual({ type: 'ec', cn: 'localhost-ec' });
  });

  it('presents the RSA certificate to a client that accepts only RSA signatures', async () => {
    expect(await certificateAfterStartTls({ sigalgs: 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256' })).toEqual({ type: 'rsa', cn: 'localhost-rsa' });
  });

  it('refuses two keys of one algorithm and a key without its certificate at start-up', () => {
    expect(() => loadTlsCertificate({ file: 'two-rsa.pem' }, dir)).toThrow(expect.objectContaining({ code: 'LISTENER_START_FAILED', message: expect.stringMatching(/two rsa keys/) }));
    expect(() => loadTlsCertificate({ file: 'orphan-key.pem' }, dir)).toThrow(expect.objectContaining({ code: 'LISTENER_START_FAILED', message: expect.stringMatching(/no certificate for its ec private key/) }));
  });
});
