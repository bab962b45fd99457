import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { certSetup, makeCert } from './tls-cert.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tls-cert-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the submission load certificates', () => {
  it.each([
    [undefined, 'rsa+ecdsa'],
    ['', 'rsa+ecdsa'],
    ['rsa+ecdsa', 'rsa+ecdsa'],
    ['rsa', 'rsa'],
  ] as const)('BENCH_SUBMISSION_CERT=%s is the %s set-up', (value, setup) => {
    expect(certSetup(value)).toBe(setup);
  });

  it('refuses a set-up it does not know', () => {
    expect(() => certSetup('ecdsa')).toThrow(/BENCH_SUBMISSION_CERT=ecdsa/);
  });

  it('by default makes an RSA and an ECDSA pair, both in the one PEM of our listener, RSA first', () => {
    const c = makeCert(path.join(dir), 'rsa+ecdsa');
    expect(new X509Certificate(c.certPem).publicKey.asymmetricKeyType).toBe('rsa');
    expect(new X509Certificate(c.ecdsa!.certPem).publicKey.asymmetricKeyType).toBe('ec');
    expect(createPrivateKey(c.ecdsa!.keyPem).asymmetricKeyType).toBe('ec');
    expect(readFileSync(c.bothFile, 'utf8')).toBe(`${c.certPem}${c.keyPem}${c.ecdsa!.certPem}${c.ecdsa!.keyPem}`);
  });

  it('RSA only: no ECDSA pair anywhere', () => {
    const sub = mkdtempSync(path.join(dir, 'rsa-'));
    const c = makeCert(sub, 'rsa');
    expect(c.ecdsa).toBeUndefined();
    expect(readFileSync(c.bothFile, 'utf8')).toBe(`${c.certPem}${c.keyPem}`);
  });
});
