/**
 * Loads the inbound TLS certificate of a listener: one PEM file holding the certificate chain and the
 * private key (optionally encrypted, then `password` is its passphrase). Relative paths resolve against
 * the process cwd. The key is decrypted here so a wrong password fails at startup, not at the first
 * handshake.
 *
 * The file may hold a second chain and key of another algorithm (an RSA and an ECDSA certificate, as
 * Postfix's smtpd_tls_cert_file and smtpd_tls_eccert_file): OpenSSL then presents the ECDSA one to
 * clients that accept it and the RSA one to the rest. An ECDSA P-256 signature costs a fraction of an
 * RSA 2048 one, which was about a fifth of the listener's CPU per STARTTLS session (README, TLS).
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CertificateValue } from '@vmta/config';
import { ListenerStartError } from './errors.js';

export interface TlsCredentials {
  /** The certificate chain, leaf first; one chain per key when the file holds two. */
  cert: string | string[];
  /** The private key as unencrypted PKCS#8 PEM; one per chain, in the same order, when the file holds two. */
  key: string | string[];
}

const BLOCK_RE = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

function decrypt(file: string, keyPem: string, passphrase: string | undefined): KeyObject {
  try {
    return createPrivateKey(passphrase === undefined ? keyPem : { key: keyPem, passphrase });
  } catch (err) {
    // Never include the password in the message.
    throw new ListenerStartError(`cannot load the private key of ${file} (wrong or missing password?)`, { cause: err });
  }
}

const pkcs8 = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }).toString();

export function loadTlsCertificate(value: CertificateValue, cwd = process.cwd()): TlsCredentials {
  const file = path.resolve(cwd, value.file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ListenerStartError(`cannot read TLS certificate ${file}: ${(err as Error).message}`, { cause: err });
  }
  const certs: string[] = [];
  const keyPems: string[] = [];
  for (const m of text.matchAll(BLOCK_RE)) {
    if (m[1] === 'CERTIFICATE') certs.push(m[0]);
    else if (m[1]!.endsWith('PRIVATE KEY')) keyPems.push(m[0]);
  }
  if (certs.length === 0) throw new ListenerStartError(`TLS certificate ${file} holds no CERTIFICATE block`);
  if (keyPems.length === 0) throw new ListenerStartError(`TLS certificate ${file} holds no PRIVATE KEY block`);
  if (keyPems.length === 1) return { cert: `${certs.join('\n')}\n`, key: pkcs8(decrypt(file, keyPems[0]!, value.password)) };
  return dualCredentials(file, certs, keyPems.map((k) => decrypt(file, k, value.password)));
}

/**
 * Two keys: each chain starts at the certificate its key signs for (the leaf) and takes the certificates
 * after it up to the next leaf. One key per algorithm: OpenSSL keeps one certificate per key type.
 */
function dualCredentials(file: string, certs: string[], keys: KeyObject[]): TlsCredentials {
  if (keys.length > 2) throw new ListenerStartError(`TLS certificate ${file} holds ${keys.length} private keys: at most two (one RSA, one ECDSA)`);
  const types = keys.map((k) => k.asymmetricKeyType);
  if (types[0] === types[1]) throw new ListenerStartError(`TLS certificate ${file} holds two ${types[0]} keys: the second key must be of another algorithm`);
  const parsed = certs.map((pem) => new X509Certificate(pem));
  const leafOf = keys.map((key) => parsed.findIndex((c) => c.publicKey.asymmetricKeyType === key.asymmetricKeyType && c.checkPrivateKey(key)));
  leafOf.forEach((leaf, i) => {
    if (leaf < 0) throw new ListenerStartError(`TLS certificate ${file}: no certificate for its ${types[i]} private key`);
  });
  const starts = [...leafOf].sort((a, b) => a - b);
  if (starts[0] !== 0) throw new ListenerStartError(`TLS certificate ${file}: with two keys each chain starts with its own certificate (the leaf)`);
  const chainAt = (leaf: number): string => {
    const end = starts.find((s) => s > leaf) ?? certs.length;
    return `${certs.slice(leaf, end).join('\n')}\n`;
  };
  return { cert: leafOf.map(chainAt), key: keys.map(pkcs8) };
}
