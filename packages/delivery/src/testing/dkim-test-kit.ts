/**
 * Test helpers for DKIM: key files, the TXT records that publish them, and two independent
 * verifiers (Debian's python3-dkim and mailauth's) that fetch the keys from a test DNS server.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readDomainKey } from '@vmta/config';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import type { NameServerAddress } from '../dns/types.js';

const VERIFY_PY = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/testing/dkim-verify.py');

export interface TestKey {
  file: string;
  /** The DKIM TXT record of its public key. */
  txt: string;
}

/** Writes a new private key (PKCS#8 PEM) to dir/name.pem. */
export function writeTestKey(dir: string, name: string, kind: 'rsa' | 'ed25519' | 'ec', rsaBits = 2048): TestKey {
  const file = path.join(dir, `${name}.pem`);
  const pair =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: rsaBits })
      : kind === 'ed25519'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  writeFileSync(file, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  if (kind === 'ec') return { file, txt: '' };
  const loaded = readDomainKey(file);
  return { file, txt: `v=DKIM1; k=${kind}; p=${loaded.publicKey}` };
}

export interface VerifiedSignature {
  d: string;
  s: string;
  a: string;
  c: string;
  i?: string;
  pass: boolean;
}

/** python3-dkim's verdict on every DKIM-Signature of the message, in header order. */
export async function verifyWithPython(message: Buffer, dns: NameServerAddress, dir: string): Promise<VerifiedSignature[]> {
  const file = path.join(dir, `msg-${Date.now()}-${Math.random().toString(36).slice(2)}.eml`);
  writeFileSync(file, message);
  const { stdout } = await promisify(execFile)('/usr/bin/python3', [VERIFY_PY, file, dns.ip, String(dns.port)]);
  return JSON.parse(stdout) as VerifiedSignature[];
}

/** mailauth's verdict on every DKIM-Signature of the message. */
export async function verifyWithMailauth(message: Buffer, dns: NameServerAddress): Promise<VerifiedSignature[]> {
  const resolver = new Resolver({ timeout: 2_000, tries: 1 });
  resolver.setServers([`${dns.ip}:${dns.port}`]);
  const result = await dkimVerify(message, { resolver: (name: string, type: string) => resolver.resolve(name, type as 'TXT') });
  return result.results.map((r) => ({
    d: r.signingDomain ?? '',
    s: r.selector ?? '',
    a: r.algo ?? '',
    c: r.format ?? '',
    pass: r.status.result === 'pass',
  }));
}
