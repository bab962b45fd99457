/**
 * One self-signed certificate for the submission load, the same for every MTA:
 * RSA 2048 (what most submission servers still present), made with openssl.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface BenchCert {
  keyFile: string;
  certFile: string;
  /** Key and certificate in one PEM (our listener's `smtp-server-tls-certificate`). */
  bothFile: string;
  keyPem: string;
  certPem: string;
}

export function makeCert(dir: string): BenchCert {
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  const bothFile = path.join(dir, 'both.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '7', '-subj', '/CN=mta.bench.test'], { stdio: 'ignore' });
  const keyPem = readFileSync(keyFile, 'utf8');
  const certPem = readFileSync(certFile, 'utf8');
  writeFileSync(bothFile, `${certPem}${keyPem}${process.env.BENCH_SUBMISSION_ECDSA === '1' ? ecdsaPair(dir) : ''}`);
  return { keyFile, certFile, bothFile, keyPem, certPem };
}

/**
 * BENCH_SUBMISSION_ECDSA=1: our listener's file (bothFile) also holds an ECDSA P-256 certificate and key
 * after the RSA ones (README, TLS certificates: clients that accept ECDSA get it). Opt-in: the other
 * MTAs keep the RSA certificate alone, so the cross-MTA tables stay comparable only without it.
 */
function ecdsaPair(dir: string): string {
  const keyFile = path.join(dir, 'ec-key.pem');
  const certFile = path.join(dir, 'ec-cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '7', '-subj', '/CN=mta.bench.test'], { stdio: 'ignore' });
  return `${readFileSync(certFile, 'utf8')}${readFileSync(keyFile, 'utf8')}`;
}
