/**
 * May this client send to this recipient? Authenticated users and `always-allow-relaying` sources may
 * relay anywhere; anyone may send to `relay-domain` / `relay-address` recipients; everyone else is refused.
 *
 * Address tricks never open the relay for unprivileged clients: percent hacks, bang paths, quoted local
 * parts holding "@" and source routes are refused outright (even to a relay-domain, whose host might
 * honour them and forward elsewhere); the decision is taken on the normalized routing domain (trailing dot
 * removed, IDN as punycode); address literals pass only through a `relay-domain [CIDR]` pattern.
 */
import {
  domainMatches,
  toRegExp,
  type AddressOrRegex,
  type DomainPattern,
  type SourcePolicy,
  type VmtaConfig,
} from '@vmta/config';
import { analyzeAddress, normalizeMailDomain, type AddressTrick, type AnalyzedAddress } from './address.js';
import { replies, SmtpReplyError } from './smtp-reply.js';

export type RelayReason = 'authenticated' | 'always-allow-relaying' | 'relay-domain' | 'relay-address';

export type RelayDecision =
  | { allowed: true; reason: RelayReason; address: AnalyzedAddress }
  | { allowed: false; error: SmtpReplyError };

export interface RelayInput {
  /** The recipient as smtp-server reports it (`address.address` in onRcptTo). */
  address: string;
  authenticated: boolean;
  /** The client's merged source policy (IP sources, listener source, {auth} and the user's source). */
  source: SourcePolicy;
}

/** Tricks that are refused outright for clients that may not relay, with the reason given in the reply. */
const REFUSED_TRICKS: ReadonlyMap<AddressTrick, string> = new Map([
  ['source-route', 'source routes are not accepted'],
  ['quoted-at', 'quoted local parts holding "@" are not accepted'],
  ['percent-hack', '"%" in the local part is not accepted'],
  ['bang-path', '"!" in the local part is not accepted'],
]);

function matchesRelayDomain(patterns: readonly DomainPattern[], a: AnalyzedAddress): boolean {
  const literal = a.tricks.includes('address-literal');
  return patterns.some((p) => {
    // `*` or a name pattern never admits an address literal; only `[CIDR]` does.
    if (literal !== (p.kind === 'address-literal')) return false;
    return domainMatches(p, a.routingDomain) && domainMatches(p, a.domain);
  });
}

/** Exact address (local part case-sensitive, domain case-insensitive) or /regex/ on the normalized address. */
function matchesRelayAddress(entries: readonly AddressOrRegex[], a: AnalyzedAddress): boolean {
  if (a.tricks.includes('address-literal')) return false;
  return entries.some((e) => {
    if (e.kind === 'regex') return toRegExp(e.regex).test(a.address);
    const at = e.address.lastIndexOf('@');
    return e.address.slice(0, at) === a.local && normalizeMailDomain(e.address.slice(at + 1)) === a.domain;
  });
}

export function relayDecision(config: VmtaConfig, input: RelayInput): RelayDecision {
  let a: AnalyzedAddress;
  try {
    a = analyzeAddress(input.address);
  } catch (e) {
    if (e instanceof SmtpReplyError) return { allowed: false, error: e };
    throw e;
  }
  if (input.authenticated) return { allowed: true, reason: 'authenticated', address: a };
  if (input.source['always-allow-relaying']) return { allowed: true, reason: 'always-allow-relaying', address: a };

  const debug = input.source['relay-debug'];
  for (const trick of a.tricks) {
    const detail = REFUSED_TRICKS.get(trick);
    if (detail !== undefined) return { allowed: false, error: replies.relayDenied(debug, detail) };
  }
  const settings = config.global.settings;
  if (matchesRelayDomain(settings['relay-domain'] ?? [], a)) return { allowed: true, reason: 'relay-domain', address: a };
  if (matchesRelayAddress(settings['relay-address'] ?? [], a)) return { allowed: true, reason: 'relay-address', address: a };
  return { allowed: false, error: replies.relayDenied(debug) };
}
