/**
 * Envelope addresses as smtp-server hands them to onMailFrom/onRcptTo (`address.address`): angle brackets
 * and any source route already removed, a Unicode domain where the client sent punycode, address literals
 * as `[1.2.3.4]` / `[IPv6:normalized]`, the local part as sent (quotes included). The parser here is
 * stricter and also takes raw forms (with `<>`, with a source route) so it never depends on that.
 */
import { domainToASCII } from 'node:url';
import { normalizeIp } from '@vmta/config';
import { replies } from './smtp-reply.js';

export type AddressTrick = 'percent-hack' | 'source-route' | 'bang-path' | 'quoted-at' | 'trailing-dot' | 'address-literal';

export interface AnalyzedAddress {
  /** `local@domain` with the normalized domain. */
  address: string;
  /** As written (quotes kept); compared case-sensitively. */
  local: string;
  /** Lowercased, one trailing dot removed, IDN as punycode; literals as `[1.2.3.4]` / `[ipv6:2001:db8::1]`. */
  domain: string;
  /**
   * Where the message ends up if the host for `domain` honours legacy routing in the local part: the last
   * `%` domain (`a%evil.com@ours` → evil.com), else the first bang-path host (`evil!a@ours` → evil), else
   * `domain`. We ourselves always deliver to `domain`; a source route is ignored (RFC 5321 §3.6.1).
   */
  routingDomain: string;
  /** Legacy or unusual forms found, in a fixed order; empty for a plain address. */
  tricks: AddressTrick[];
}

export interface AnalyzeOptions {
  /** Chooses the 553 reply: 5.1.3 for recipients (default), 5.1.7 for senders. */
  role?: 'sender' | 'recipient';
}

const TRICK_ORDER: readonly AddressTrick[] = [
  'source-route',
  'quoted-at',
  'percent-hack',
  'bang-path',
  'trailing-dot',
  'address-literal',
];
const SOURCE_ROUTE_RE = /^@[^\s,:@<>]+(?:,@[^\s,:@<>]+)*:/;
/** RFC 5322 specials, whitespace and controls may not appear in an unquoted local part. */
const BAD_LOCAL_RE = /[\s\x00-\x1f\x7f()<>[\]:;@\\,"]/;
const LABEL_RE = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
/** RFC 5321 §4.5.3.1.3: a path is at most 256 octets with the brackets. */
const MAX_ADDRESS_LENGTH = 254;
/** Cheap guard before parsing (source routes and non-normalized forms may be longer). */
const MAX_INPUT_LENGTH = 1024;

/**
 * The envelope sender as the client sent it. smtp-server turns a punycode domain into Unicode
 * (`a@xn--bcher-kva.example` → `a@bücher.example`); without SMTPUTF8 the client can only have sent ASCII,
 * so the domain goes back to punycode and DSNs go to an address the sender's MX knows. With SMTPUTF8 the
 * address stays as it is. A domain that is not a valid name (an address literal) is left alone.
 */
export function senderAsSent(address: string, smtputf8: boolean): string {
  const at = address.lastIndexOf('@');
  if (smtputf8 || at < 0 || !/[^\x00-\x7f]/.test(address.slice(at + 1))) return address;
  const ascii = domainToASCII(address.slice(at + 1));
  return ascii ? `${address.slice(0, at + 1)}${ascii}` : address;
}

/** A host name as we route to it: lowercased, punycode, no trailing dot; undefined when not a valid one. */
export function normalizeMailDomain(text: string): string | undefined {
  // ASCII may only hold name characters: domainToASCII would percent-decode ("ex%41mple" → "example").
  if (/[^a-zA-Z0-9._\-\u{80}-\u{10ffff}]/u.test(text)) return undefined;
  const ascii = /[^\x00-\x7f]/.test(text) ? domainToASCII(text) : text.toLowerCase();
  if (!ascii || ascii.length > 253) return undefined;
  const labels = ascii.split('.');
  if (!labels.every((l) => LABEL_RE.test(l))) return undefined;
  // An all-numeric last label is an IP address in disguise (`user@10.0.0.1`), never a domain (RFC 3696 §2).
  if (/^\d+$/.test(labels[labels.length - 1]!)) return undefined;
  return ascii;
}

/** `[1.2.3.4]` or `[IPv6:...]` normalized; undefined when not a valid address literal. */
function normalizeLiteral(text: string): string | undefined {
  const inner = text.slice(1, -1);
  const tagged = /^ipv6:/i.test(inner);
  const ip = normalizeIp(tagged ? inner.slice(5) : inner);
  if (ip === undefined || (ip.family === 6) !== tagged) return undefined;
  return ip.family === 4 ? `[${ip.address}]` : `[ipv6:${ip.address}]`;
}

/** Splits off a quoted local part; returns its unescaped content and the rest, or undefined when unclosed. */
function splitQuoted(s: string): { local: string; content: string; rest: string } | undefined {
  let content = '';
  for (let i = 1; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const next = s[i + 1];
      if (next === undefined) return undefined;
      content += next;
      i++;
    } else if (c === '"') {
      return { local: s.slice(0, i + 1), content, rest: s.slice(i + 1) };
    } else {
      content += c;
    }
  }
  return undefined;
}

/** The domain a legacy-routing local part points at, when it is a valid host name. */
function legacyRoute(content: string, tricks: Set<AddressTrick>): string | undefined {
  if (tricks.has('percent-hack')) return normalizeMailDomain(content.slice(content.lastIndexOf('%') + 1));
  if (tricks.has('bang-path')) return normalizeMailDomain(content.slice(0, content.indexOf('!')));
  return undefined;
}

/**
 * Parses and normalizes an envelope address; throws SmtpReplyError 553 5.1.3 (5.1.7 for senders) when it
 * cannot be parsed. The null sender `<>` and the domainless `postmaster` are not addresses here: the
 * caller handles them first.
 */
export function analyzeAddress(address: string, options: AnalyzeOptions = {}): AnalyzedAddress {
  const invalid = () => replies.addressInvalid(options.role);
  let s = address;
  if (s.startsWith('<') && s.endsWith('>')) s = s.slice(1, -1);
  if (s.length === 0 || s.length > MAX_INPUT_LENGTH || /[\x00-\x1f\x7f]/.test(s)) throw invalid();
  const tricks = new Set<AddressTrick>();

  const route = SOURCE_ROUTE_RE.exec(s);
  if (route) {
    tricks.add('source-route');
    s = s.slice(route[0].length);
  } else if (s.startsWith('@')) {
    throw invalid();
  }

  let local: string;
  let content: string;
  let rest: string;
  if (s.startsWith('"')) {
    // An empty one (`""@example.com`) is valid: RFC 5321 §4.1.2's Quoted-string is DQUOTE *QcontentSMTP
    // DQUOTE, and Postfix takes it too (its quote_821_local writes an empty local part as `""`).
    const q = splitQuoted(s);
    if (!q) throw invalid();
    ({ local, content, rest } = q);
    if (content.includes('@')) tricks.add('quoted-at');
  } else {
    const at = s.indexOf('@');
    local = content = at < 0 ? s : s.slice(0, at);
    rest = at < 0 ? '' : s.slice(at);
    if (!local || BAD_LOCAL_RE.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
      throw invalid();
    }
  }
  if (!rest.startsWith('@')) throw invalid();
  if (content.includes('%')) tricks.add('percent-hack');
  if (content.includes('!')) tricks.add('bang-path');

  let domainText = rest.slice(1);
  let domain: string | undefined;
  if (domainText.startsWith('[') && domainText.endsWith(']')) {
    domain = normalizeLiteral(domainText);
    tricks.add('address-literal');
  } else {
    if (domainText.endsWith('.')) {
      tricks.add('trailing-dot');
      domainText = domainText.slice(0, -1);
    }
    domain = normalizeMailDomain(domainText);
  }
  if (domain === undefined) throw invalid();
  const normalized = `${local}@${domain}`;
  if (normalized.length > MAX_ADDRESS_LENGTH) throw invalid();

  return {
    address: normalized,
    local,
    domain,
    routingDomain: legacyRoute(content, tricks) ?? domain,
    tricks: TRICK_ORDER.filter((t) => tricks.has(t)),
  };
}
