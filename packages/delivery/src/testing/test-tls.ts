/** A test certificate authority and server certificates it signs (openssl on PATH). For tests only. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestCa {
  /** PEM file of the CA certificate (for smtp-tls-ca-file). */
  caFile: string;
  /** A key and certificate for `name` (subjectAltName DNS:name), signed by the CA. */
  issue(name: string): { key: string; cert: string };
}

export function createTestCa(): TestCa {
  const dir = mkdtempSync(path.join(tmpdir(), 'vmta-test-ca-'));
  const f = (n: string) => path.join(dir, n);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=vmta test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  let n = 0;
  return {
    caFile: f('ca.pem'),
    issue(name) {
      const base = f(`leaf${++n}`);
      openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${name}`);
      writeFileSync(`${base}.ext`, `subjectAltName=DNS:${name}\nextendedKeyUsage=serverAuth\n`);
      openssl('x509', '-req', '-in', `${base}.csr`, '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', `${base}.pem`, '-days', '2', '-extfile', `${base}.ext`);
      return { key: readFileSync(`${base}.key`, 'utf8'), cert: readFileSync(`${base}.pem`, 'utf8') };
    },
  };
}
