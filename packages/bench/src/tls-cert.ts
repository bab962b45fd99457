/**
 * The certificates of the submission load, the same set-up for every MTA. By default an RSA 2048 and
 * an ECDSA P-256 self-signed certificate, each MTA holding both (as deployments do: certbot issues
 * ECDSA keys by default since 2.0, and Postfix takes the pair as smtpd_tls_cert_file +
 * smtpd_tls_eccert_file); a client that accepts ECDSA signatures (every current TLS library, the
 * bench's client too) then gets the ECDSA one. BENCH_SUBMISSION_CERT=rsa: the RSA one alone.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Which certificates every MTA holds in the submission load. */
export type CertSetup = 'rsa+ecdsa' | 'rsa';

export interface KeyPair {
  keyFile: string;
  certFile: string;
  keyPem: string;
  certPem: string;
}

/** The RSA pair's fields at the top; `ecdsa` when the set-up has one. */
export interface BenchCert extends KeyPair {
  setup: CertSetup;
  ecdsa?: KeyPair;
  /** Every certificate and key in one PEM (our listener's `smtp-server-tls-certificate`): RSA first. */
  bothFile: string;
}

/** BENCH_SUBMISSION_CERT: `rsa+ecdsa` (default) or `rsa`; anything else stops the bench. */
export function certSetup(value = process.env.BENCH_SUBMISSION_CERT): CertSetup {
  if (value === undefined || value === '' || value === 'rsa+ecdsa') return 'rsa+ecdsa';
  if (value === 'rsa') return 'rsa';
  throw new Error(`BENCH_SUBMISSION_CERT=${value}: expected rsa+ecdsa or rsa`);
}

/** How the load's description names the set-up. */
export function certSetupText(setup: CertSetup): string {
  return setup === 'rsa'
    ? 'RSA 2048 self-signed certificate alone (BENCH_SUBMISSION_CERT=rsa)'
    : 'RSA 2048 + ECDSA P-256 self-signed certificates, every MTA holding both (Postfix: smtpd_tls_eccert_file; Haraka: two key[]/cert[] in tls.ini; ours: both in one PEM); our client accepts ECDSA and so gets the ECDSA one';
}

function pair(dir: string, name: string, newkey: string[]): KeyPair {
  const keyFile = path.join(dir, `${name}-key.pem`);
  const certFile = path.join(dir, `${name}-cert.pem`);
  execFileSync('openssl', ['req', '-x509', ...newkey, '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '7', '-subj', '/CN=mta.bench.test'], { stdio: 'ignore' });
  return { keyFile, certFile, keyPem: readFileSync(keyFile, 'utf8'), certPem: readFileSync(certFile, 'utf8') };
}

export function makeCert(dir: string, setup: CertSetup = certSetup()): BenchCert {
  const rsa = pair(dir, 'rsa', ['-newkey', 'rsa:2048']);
  const ecdsa = setup === 'rsa+ecdsa' ? pair(dir, 'ecdsa', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']) : undefined;
  const bothFile = path.join(dir, 'both.pem');
  writeFileSync(bothFile, [rsa, ...(ecdsa ? [ecdsa] : [])].map((p) => `${p.certPem}${p.keyPem}`).join(''));
  return { ...rsa, setup, ...(ecdsa ? { ecdsa } : {}), bothFile };
}
