import { fail, parseDecimal, singleWord } from './common.js';
import {
  formatIp,
  fromBytes,
  maskBytes,
  parseIpStrict,
  parsePeerIp,
  type IPv4,
  type IPv6,
  type IpAddress,
  type IpFamily,
} from './ip.js';
import type { ValueType } from './value-type.js';

export interface CidrValue {
  /** As written in the config. */
  text: string;
  /** Normalized network address (host bits cleared). */
  address: string;
  prefix: number;
  family: IpFamily;
  /** True only for `0/0`, which matches every IPv4 and IPv6 address. */
  any: boolean;
}

export const CIDR_EXPECTED =
  'an IP address or CIDR, e.g. 10.0.5.20, 10.0.0.0/8, 10/8, 2001:db8::/32 or 0/0 (all addresses)';

const OCTET_RE = /^(0|[1-9]\d{0,2})$/;

function parsePrefix(text: string, prefixText: string | undefined, max: number): number {
  if (prefixText === undefined) return max;
  const prefix = parseDecimal(prefixText);
  if (prefix === undefined || prefix > max) {
    throw fail('cidr', CIDR_EXPECTED, text, `the prefix length must be a number from 0 to ${max}`);
  }
  return prefix;
}

/** Parses `0/0`, `10.0.5.20`, `10.0.0.0/8`, `10/8`, `10.1/16`, `::1`, `2001:db8::/32`; host bits are masked. */
export function parseCidr(text: string): CidrValue {
  if (text === '0/0') return { text, address: '0.0.0.0', prefix: 0, family: 4, any: true };
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);

  if (addrText.includes(':')) {
    const addr = parseIpStrict(addrText);
    if (addr === undefined || addr.kind() !== 'ipv6') {
      throw fail('cidr', CIDR_EXPECTED, text, `"${addrText}" is not a valid IPv6 address`);
    }
    const prefix = parsePrefix(text, prefixText, 128);
    return { text, address: formatIp(fromBytes(maskBytes(addr.toByteArray(), prefix))), prefix, family: 6, any: false };
  }

  const parts = addrText.split('.');
  const valid =
    (parts.length === 4 || (prefixText !== undefined && parts.length < 4)) &&
    parts.every((p) => OCTET_RE.test(p) && Number(p) <= 255);
  if (!valid) {
    const reason =
      prefixText === undefined && parts.length < 4 && parts.every((p) => OCTET_RE.test(p))
        ? 'short forms like 10/8 need a prefix length'
        : `"${addrText}" is not a valid IPv4 address`;
    throw fail('cidr', CIDR_EXPECTED, text, reason);
  }
  const prefix = parsePrefix(text, prefixText, 32);
  const bytes = [0, 1, 2, 3].map((i) => Number(parts[i] ?? '0'));
  return { text, address: formatIp(fromBytes(maskBytes(bytes, prefix))), prefix, family: 4, any: false };
}

export function isCidrValue(value: unknown): value is CidrValue {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.text === 'string' &&
    typeof v.address === 'string' &&
    typeof v.prefix === 'number' &&
    (v.family === 4 || v.family === 6) &&
    typeof v.any === 'boolean'
  );
}

const networkCache = new Map<string, IpAddress>();

function networkOf(cidr: CidrValue): IpAddress | undefined {
  let net = networkCache.get(cidr.address);
  if (net === undefined) {
    net = parseIpStrict(cidr.address);
    if (net === undefined) return undefined;
    if (networkCache.size >= 1024) networkCache.clear();
    networkCache.set(cidr.address, net);
  }
  return net;
}

/**
 * Whether `ip` (IPv4, IPv6, IPv4-mapped `::ffff:1.2.3.4`, optionally [bracketed] or with a %zone) lies in `cidr`.
 * `0/0` matches every address; an IPv4 CIDR matches IPv4-mapped addresses and vice versa. False for anything that is no IP.
 */
export function cidrContains(cidr: CidrValue, ip: string): boolean {
  const addr = parsePeerIp(ip);
  if (addr === undefined) return false;
  if (cidr.any) return true;
  const net = networkOf(cidr);
  if (net === undefined) return false;
  if (net.kind() === addr.kind()) return addr.match(net, cidr.prefix);
  // An IPv4-mapped IPv6 range (::ffff:10.0.0.0/104) also matches the plain IPv4 addresses it maps.
  if (net.kind() === 'ipv6' && addr.kind() === 'ipv4' && cidr.prefix >= 96 && (net as IPv6).isIPv4MappedAddress()) {
    return (addr as IPv4).toIPv4MappedAddress().match(net, cidr.prefix);
  }
  return false;
}

export const cidrSchema = {
  type: 'object',
  properties: {
    text: { type: 'string', minLength: 1 },
    address: { type: 'string', minLength: 2 },
    prefix: { type: 'integer', minimum: 0, maximum: 128 },
    family: { enum: [4, 6] },
    any: { type: 'boolean' },
  },
  required: ['text', 'address', 'prefix', 'family', 'any'],
  additionalProperties: false,
} as const;

export const cidrType: ValueType<CidrValue> = {
  name: 'cidr',
  expected: CIDR_EXPECTED,
  parse: (raw, words) => parseCidr(singleWord('cidr', CIDR_EXPECTED, raw, words)),
  schema: cidrSchema,
};
