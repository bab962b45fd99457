import { domainToASCII } from 'node:url';
import { cidrContains, cidrSchema, parseCidr, type CidrValue } from './cidr.js';
import { fail, isHostName, normalizeHostName, singleWord } from './common.js';
import { ValueError } from './errors.js';
import type { ValueType } from './value-type.js';

export type DomainPatternKind = 'any' | 'exact' | 'subdomains' | 'domain-and-subdomains' | 'address-literal';

export interface DomainPattern {
  /** As written in the config. */
  text: string;
  kind: DomainPatternKind;
  /**
   * Lowercased domain without trailing dot ('' for `*`, punycode for IDNs); for address literals the
   * normalized network as `address/prefix`.
   */
  base: string;
  /** Only for address literals. */
  cidr?: CidrValue;
}

export const DOMAIN_PATTERN_EXPECTED =
  '*, example.com, *.example.com (subdomains), [*.]example.com (domain and subdomains) or an address literal like [10.0.0.0/8]';

function toAscii(domain: string): string {
  return /[^\x00-\x7f]/.test(domain) ? domainToASCII(domain) || domain : domain;
}

function normalizeDomain(domain: string): string {
  return normalizeHostName(toAscii(domain.trim()));
}

export function parseDomainPattern(text: string): DomainPattern {
  const bad = (reason?: string): Error => fail('domain-pattern', DOMAIN_PATTERN_EXPECTED, text, reason);
  if (text === '*') return { text, kind: 'any', base: '' };
  let kind: DomainPatternKind = 'exact';
  let rest = text;
  if (text.startsWith('[*.]')) {
    kind = 'domain-and-subdomains';
    rest = text.slice(4);
  } else if (text.startsWith('*.')) {
    kind = 'subdomains';
    rest = text.slice(2);
  } else if (text.startsWith('[')) {
    if (!text.endsWith(']')) throw bad('missing "]"');
    const inner = text.slice(1, -1);
    const tagged = /^ipv6:/i.test(inner);
    const cidrText = tagged ? inner.slice(5) : inner;
    let cidr: CidrValue;
    try {
      cidr = parseCidr(cidrText);
    } catch (e) {
      if (e instanceof ValueError) throw bad(`"${inner}" is not an IP address or CIDR`);
      throw e;
    }
    if (tagged && cidr.family !== 6) throw bad('IPv6: must be followed by an IPv6 address');
    return { text, kind: 'address-literal', base: `${cidr.address}/${cidr.prefix}`, cidr };
  }
  if (rest.includes('*')) throw bad('"*" is only allowed as *, *.domain or [*.]domain');
  const ascii = toAscii(rest);
  if (!isHostName(ascii)) throw bad();
  return { text, kind, base: normalizeHostName(ascii) };
}

/** Whether a recipient domain (case-insensitive, trailing dot ignored; `[1.2.3.4]`/`[IPv6:...]` literals) matches. */
export function domainMatches(pattern: DomainPattern, domain: string): boolean {
  const d = normalizeDomain(domain);
  switch (pattern.kind) {
    case 'any':
      return true;
    case 'exact':
      return d === pattern.base;
    case 'subdomains':
      return d.endsWith(`.${pattern.base}`);
    case 'domain-and-subdomains':
      return d === pattern.base || d.endsWith(`.${pattern.base}`);
    case 'address-literal':
      return pattern.cidr !== undefined && d.startsWith('[') && d.endsWith(']') && cidrContains(pattern.cidr, d);
  }
}

const KIND_RANK: Record<DomainPatternKind, number> = {
  any: 0,
  'address-literal': 0,
  'domain-and-subdomains': 0,
  subdomains: 1,
  exact: 2,
};

/**
 * Larger = more specific. `*` is 0; address literals are 1 + prefix length; domain patterns are
 * 3 * labels + (0 for [*.]x, 1 for *.x, 2 for x), so more labels always win and, for the same base,
 * `[*.]x` < `*.x` < `x`. Sorting the patterns that match one domain by this number orders them from
 * general to specific.
 */
export function domainSpecificity(pattern: DomainPattern): number {
  if (pattern.kind === 'any') return 0;
  if (pattern.kind === 'address-literal') return 1 + (pattern.cidr?.prefix ?? 0);
  return 3 * pattern.base.split('.').length + KIND_RANK[pattern.kind];
}

export const domainPatternSchema = {
  type: 'object',
  properties: {
    text: { type: 'string', minLength: 1 },
    kind: { type: 'string', enum: ['any', 'exact', 'subdomains', 'domain-and-subdomains', 'address-literal'] },
    base: { type: 'string' },
    cidr: cidrSchema,
  },
  required: ['text', 'kind', 'base'],
  additionalProperties: false,
} as const;

export const domainPatternType: ValueType<DomainPattern> = {
  name: 'domain-pattern',
  expected: DOMAIN_PATTERN_EXPECTED,
  parse: (raw, words) => parseDomainPattern(singleWord('domain-pattern', DOMAIN_PATTERN_EXPECTED, raw, words)),
  schema: domainPatternSchema,
};
