import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export type IpFamily = 4 | 6;
export type IPv4 = ipaddr.IPv4;
export type IPv6 = ipaddr.IPv6;
export type IpAddress = IPv4 | IPv6;

export interface NormalizedIp {
  address: string;
  family: IpFamily;
}

/**
 * Parses a literal IP address: IPv4 as a dotted quad (decimal, no leading zeros, as node:net accepts it) or
 * IPv6 (no zone id). Undefined when invalid.
 */
export function parseIpStrict(text: string): IpAddress | undefined {
  const family = isIP(text);
  if (family === 4) return ipaddr.IPv4.parse(text);
  if (family === 6 && !text.includes('%')) return ipaddr.IPv6.parse(text);
  return undefined;
}

/** Formats an address: IPv4 dotted quad, IPv6 per RFC 5952 with IPv4-mapped ones as `::ffff:1.2.3.4`. */
export function formatIp(addr: IpAddress): string {
  if (addr.kind() === 'ipv4') return addr.toString();
  const v6 = addr as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return `::ffff:${v6.toIPv4Address().toString()}`;
  return v6.toRFC5952String();
}

/** Validates and normalizes a literal IP address; undefined when invalid. */
export function normalizeIp(text: string): NormalizedIp | undefined {
  const addr = parseIpStrict(text);
  if (addr === undefined) return undefined;
  return { address: formatIp(addr), family: addr.kind() === 'ipv4' ? 4 : 6 };
}

/**
 * Parses an address as a socket or a mail domain literal reports it: optional [brackets], optional `IPv6:` tag,
 * optional %zone; IPv4-mapped IPv6 is returned as IPv4. Undefined when it is no IP address.
 */
export function parsePeerIp(text: string): IpAddress | undefined {
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (/^ipv6:/i.test(s)) s = s.slice(5);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const addr = parseIpStrict(s);
  if (addr !== undefined && addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (addr as ipaddr.IPv6).toIPv4Address();
  }
  return addr;
}

/** Keeps the first `prefix` bits of an address given as bytes. */
export function maskBytes(bytes: readonly number[], prefix: number): number[] {
  return bytes.map((byte, i) => {
    const bits = Math.min(8, Math.max(0, prefix - i * 8));
    return bits === 0 ? 0 : byte & ((0xff << (8 - bits)) & 0xff);
  });
}

export function fromBytes(bytes: number[]): IpAddress {
  return ipaddr.fromByteArray(bytes);
}
