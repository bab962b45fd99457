import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTlsCertificate } from './tls-certificate.js';
import { CERT_PASSWORD, makeCertificates, type TestCertificates } from './testing/smtp-test-kit.js';

let certs: TestCertificates;
beforeAll(async () => {
  certs = await makeCertificates();
});
afterAll(() => certs?.cleanup());

describe('loadTlsCertificate', () => {
  it('loads one PEM with certificate and key, and one with an encrypted key and its password', () => {
    expect(loadTlsCertificate({ file: certs.plain }).key).toContain('BEGIN PRIVATE KEY');
    expect(loadTlsCertificate({ file: certs.encrypted, password: CERT_PASSWORD }).key).toContain('BEGIN PRIVATE KEY');
  });

  it('resolves a relative path against the given cwd', () => {
    expect(loadTlsCertificate({ file: 'plain.pem' }, certs.dir).cert).toContain('BEGIN CERTIFICATE');
  });

  it('fails with LISTENER_START_FAILED on a wrong password, without the password in the message', () => {
    expect(() => loadTlsCertificate({ file: certs.encrypted, password: 'nope-secret' })).toThrow(
      expect.objectContaining({ code: 'LISTENER_START_FAILED', message: expect.not.stringContaining('nope-secret') }),
    );
  });

  it('fails on a file without a key', () => {
    const f = path.join(certs.dir, 'nokey.pem');
    writeFileSync(f, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(() => loadTlsCertificate({ file: f })).toThrow(/no PRIVATE KEY/);
  });
});
