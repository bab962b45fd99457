/**
 * DKIM key choice (PowerMTA §3.3.1.33.1 domain-key, §3.3.10.28 dkim-identity), pure:
 * - the signing domain is the Sender header's domain, else the From header's; dkim-identity
 *   strict-from takes the From header's only; an identity address or @domain replaces both;
 * - keys are tried in order (VMTA, pool, global; file order) and the first whose domain equals
 *   or is a parent of the signing domain wins (strict-from: equals); `*` matches any domain and
 *   signs as the signing domain itself; no match: unsigned;
 * - beyond PowerMTA: the first matching key of the other kind (RSA / Ed25519) signs too, so a
 *   configuration with both kinds of keys gives a dual signature (RFC 8463 §1).
 */
import type { DkimIdentity } from '../values/index.js';

export interface DkimKeyCandidate {
  selector: string;
  /** Lowercased, or '*'. */
  domain: string;
  kind: 'rsa' | 'ed25519';
}

export interface DkimHeaderDomains {
  /** Domain of the first address of the Sender header, lowercased. */
  sender?: string;
  /** Domain of the first address of the From header, lowercased. */
  from?: string;
}

export interface DkimChoice<K extends DkimKeyCandidate> {
  key: K;
  /** The d= tag. */
  signingDomain: string;
  /** The i= tag, when dkim-identity names one. */
  identity?: string;
}

export function keyDomainMatches(keyDomain: string, domain: string, exact: boolean): boolean {
  if (keyDomain === '*') return true;
  return domain === keyDomain || (!exact && domain.endsWith(`.${keyDomain}`));
}

/** The domain whose key signs: undefined when the headers give none (the message goes unsigned). */
export function dkimSigningDomain(headers: DkimHeaderDomains, identity: DkimIdentity): string | undefined {
  if (identity.kind === 'identity') return identity.domain;
  if (identity.kind === 'strict-from') return headers.from;
  return headers.sender ?? headers.from;
}

/** The keys that sign, first match first; empty when none matches. */
export function chooseDkimKeys<K extends DkimKeyCandidate>(keys: readonly K[], headers: DkimHeaderDomains, identity: DkimIdentity): DkimChoice<K>[] {
  const domain = dkimSigningDomain(headers, identity);
  if (domain === undefined || domain === '') return [];
  const exact = identity.kind === 'strict-from';
  const out: DkimChoice<K>[] = [];
  for (const key of keys) {
    if (out.some((c) => c.key.kind === key.kind)) continue;
    if (!keyDomainMatches(key.domain, domain, exact)) continue;
    out.push({
      key,
      signingDomain: key.domain === '*' ? domain : key.domain,
      ...(identity.kind === 'identity' ? { identity: identity.identity } : {}),
    });
  }
  return out;
}
