/**
 * Loads the inbound TLS certificate of a listener: one PEM file holding the certificate chain and the
 * private key (optionally encrypted, then `password` is its passphrase). Relative paths resolve against
 * the process cwd. The key is decrypted here so a wrong password fails at startup, not at the first
 * handshake.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CertificateValue } from '@vmta/config';
import { ListenerStartError } from './errors.js';

export interface TlsCredentials {
  /** The certificate chain, leaf first. */
  cert: string;
  /** The private key as unencrypted PKCS#8 PEM. */
  key: string;
}

const BLOCK_RE = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

export function loadTlsCertificate(value: CertificateValue, cwd = process.cwd()): TlsCredentials {
  const file = path.resolve(cwd, value.file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ListenerStartError(`cannot read TLS certificate ${file}: ${(err as Error).message}`, { cause: err });
  }
  const certs: string[] = [];
  let keyPem: string | undefined;
  for (const m of text.matchAll(BLOCK_RE)) {
    if (m[1] === 'CERTIFICATE') certs.push(m[0]);
    else if (m[1]!.endsWith('PRIVATE KEY')) keyPem ??= m[0];
  }
  if (certs.length === 0) throw new ListenerStartError(`TLS certificate ${file} holds no CERTIFICATE block`);
  if (keyPem === undefined) throw new ListenerStartError(`TLS certificate ${file} holds no PRIVATE KEY block`);
  let key: string;
  try {
    const passphrase = value.password;
    const keyObject = createPrivateKey(passphrase === undefined ? keyPem : { key: keyPem, passphrase });
    key = keyObject.export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch (err) {
    // Never include the password in the message.
    throw new ListenerStartError(`cannot load the private key of ${file} (wrong or missing password?)`, { cause: err });
  }
  return { cert: `${certs.join('\n')}\n`, key };
}
