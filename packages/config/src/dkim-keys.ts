/**
 * DKIM key files: reading one (RSA or Ed25519 private key, PEM or DER) and checking every
 * `domain-key` of a configuration at load and reload, with file:line. RSA keys under 1024 bits
 * are refused (RFC 8301), under 2048 warned.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { DkimKeyError, type Diagnostic, type Origin } from './errors.js';
import type { Stanza, VmtaConfig } from './model.js';
import type { ScopeName } from './schema/schema.js';
import type { DomainKey } from './values/index.js';

export const RSA_MIN_BITS = 1024;
export const RSA_WARN_BITS = 2048;

export interface LoadedDomainKey {
  kind: 'rsa' | 'ed25519';
  key: KeyObject;
  /** The private key as PKCS#8 PEM (what the signing library takes). */
  pem: string;
  /** RSA modulus length; 256 for Ed25519. */
  bits: number;
  /** The public key as a DKIM TXT record's p= value (base64 of SubjectPublicKeyInfo, or the raw 32 bytes for Ed25519). */
  publicKey: string;
  /** Short hash of the public key: tells a rotated key apart. */
  fingerprint: string;
}

/** A domain-key with its file resolved (relative paths are taken from the directory of the file that names them). */
export interface ScopedDomainKey extends DomainKey {
  origin: Origin;
  scope: 'virtual-mta' | 'virtual-mta-pool' | 'global';
}

export function resolveKeyFile(keyFile: string, origin: Origin): string {
  return isAbsolute(keyFile) ? keyFile : resolve(dirname(origin.file), keyFile);
}

function keysOf(stanza: Stanza<'global' | 'virtual-mta' | 'virtual-mta-pool'>, scope: ScopedDomainKey['scope']): ScopedDomainKey[] {
  const keys = stanza.settings['domain-key'] ?? [];
  const origins = stanza.origins['domain-key'] ?? [];
  return keys.map((k, i) => {
    const origin = origins[i] ?? stanza.origin;
    return { ...k, keyFile: resolveKeyFile(k.keyFile, origin), origin, scope };
  });
}

/** The keys that may sign mail of a VMTA, in PowerMTA's order: the VMTA's, then its pool's, then the global ones; file order within each. */
export function domainKeysFor(config: VmtaConfig, vmta: string, pool?: string): ScopedDomainKey[] {
  const v = config.vmtas[vmta.toLowerCase()];
  const p = pool === undefined ? undefined : config.pools[pool.toLowerCase()];
  return [
    ...(v ? keysOf(v, 'virtual-mta') : []),
    ...(p ? keysOf(p, 'virtual-mta-pool') : []),
    ...keysOf(config.global, 'global'),
  ];
}

/** Reads and checks one key file; throws DkimKeyError. `warning` is set for an RSA key under 2048 bits. */
export function readDomainKey(file: string): LoadedDomainKey & { warning?: string } {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(err as Error).message})`;
    throw new DkimKeyError('DKIM_KEY_UNREADABLE', file, `key file ${file} ${why}`, { cause: err });
  }
  let key: KeyObject;
  try {
    const pem = data.includes('-----BEGIN');
    key = pem ? createPrivateKey(data) : createPrivateKey({ key: data, format: 'der', type: 'pkcs8' });
  } catch (err) {
    throw new DkimKeyError('DKIM_KEY_INVALID', file, `key file ${file} holds no private key (PEM or PKCS#8 DER)`, { cause: err });
  }
  const type = key.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ed25519') {
    throw new DkimKeyError('DKIM_KEY_INVALID', file, `key file ${file} holds a ${type ?? 'unknown'} key; DKIM signs with RSA or Ed25519`);
  }
  const bits = type === 'rsa' ? (key.asymmetricKeyDetails?.modulusLength ?? 0) : 256;
  if (type === 'rsa' && bits < RSA_MIN_BITS) {
    throw new DkimKeyError('DKIM_KEY_TOO_SHORT', file, `key file ${file} holds an RSA key of ${bits} bits; verifiers refuse keys under ${RSA_MIN_BITS} bits (RFC 8301)`);
  }
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  // RFC 8463: an Ed25519 p= is the bare 32-byte key, the end of its 44-byte SubjectPublicKeyInfo.
  const publicKey = (type === 'ed25519' ? spki.subarray(spki.length - 32) : spki).toString('base64');
  const fingerprint = createHash('sha256').update(spki).digest('base64url').slice(0, 16);
  const loaded: LoadedDomainKey & { warning?: string } = { kind: type, key, pem: key.export({ format: 'pem', type: 'pkcs8' }).toString(), bits, publicKey, fingerprint };
  if (type === 'rsa' && bits < RSA_WARN_BITS) loaded.warning = `key file ${file} holds an RSA key of ${bits} bits; use ${RSA_WARN_BITS} bits or more`;
  return loaded;
}

/** RFC 6376 §5.4: header fields a signer must not sign (PowerMTA's list). */
export const DKIM_UNSIGNABLE_HEADERS: readonly string[] = ['bcc', 'keywords', 'return-path', 'comments', 'received', 'dkim-signature', 'resent-bcc'];

/** Every domain-key file of the configuration read and checked; dkim-headers naming a header that is never signed is warned. */
export function checkDkim(config: VmtaConfig): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Map<string, LoadedDomainKey | DkimKeyError>();
  const stanzas = [config.global, ...Object.values(config.vmtas), ...Object.values(config.pools)];
  for (const stanza of stanzas) {
    const scope = stanza.scope === 'global' ? 'global' : stanza.scope;
    for (const k of keysOf(stanza, scope)) {
      let result = seen.get(k.keyFile);
      if (result === undefined) {
        try {
          const loaded = readDomainKey(k.keyFile);
          if (loaded.warning) out.push({ severity: 'warning', code: 'CONFIG_DKIM_KEY', file: k.origin.file, line: k.origin.line, message: `domain-key: ${loaded.warning}` });
          result = loaded;
        } catch (err) {
          if (!(err instanceof DkimKeyError)) throw err;
          result = err;
        }
        seen.set(k.keyFile, result);
      }
      if (result instanceof DkimKeyError) {
        out.push({ severity: 'error', code: 'CONFIG_DKIM_KEY', file: k.origin.file, line: k.origin.line, message: `domain-key: ${result.message}` });
      }
    }
  }
  const domainStanzas: Stanza<ScopeName>[] = [...config.domains];
  for (const s of [...Object.values(config.vmtas), ...Object.values(config.pools)]) domainStanzas.push(...s.domains);
  for (const s of domainStanzas as Stanza<'domain'>[]) {
    const items = s.settings['dkim-headers'] ?? [];
    const o = s.origins['dkim-headers']?.[0] ?? s.origin;
    for (const item of items) {
      if (item.kind === 'name' && DKIM_UNSIGNABLE_HEADERS.includes(item.name)) {
        out.push({ severity: 'warning', code: 'CONFIG_DKIM_KEY', file: o.file, line: o.line, message: `dkim-headers: ${item.name} is never signed (RFC 6376 §5.4); ignored` });
      }
    }
  }
  return out;
}
