/**
 * Stage "resolve MX": where to connect for a recipient domain, as an ordered list of addresses.
 *
 * `smtp-hosts` (static routing) wins over DNS: its levels in order, hosts of one level shuffled,
 * `[ip]:port` used as written, host names resolved to addresses, `lookup-mx:other` = other's MX hosts.
 * Otherwise the MX lookup of RFC 5321 §5.1: sorted by preference, equal preferences shuffled, the
 * domain's own A/AAAA as implicit MX when it has no MX (NODATA), RFC 7505 null MX bounces.
 *
 * Bounded: at most `mx-address-limit` addresses, best first (Postfix smtp_mx_address_limit); MX names
 * are looked up only until that many addresses are known, so a domain with thousands of MX records
 * costs a few lookups and a few sockets, not thousands.
 */
import net from 'node:net';
import type { DomainPolicy } from '@vmta/config';
import type { BounceCategory } from '../bounce-category.js';
import type { RouteErrorCode } from '../errors.js';
import { RouteError } from '../errors.js';
import type { AddressRecord, DnsOutcome, MxRecord } from '../dns/types.js';
import { normalizeName } from '../dns/resolver.js';
import { dropOwnHosts, type OwnListener } from './mail-loop.js';

export interface RouteHost {
  /** The MX/host name (or the IP as written for literals and `[ip]` hosts). */
  name: string;
  ip: string;
  port: number;
  /** MX preference, or the smtp-hosts level (0, 1, ...). */
  preference: number;
}

export type RouteResult =
  | { kind: 'hosts'; hosts: RouteHost[] }
  | { kind: 'bounce' | 'defer'; code: RouteErrorCode; enhancedCode: string; message: string; category: BounceCategory };

/** What route needs of a resolver (DnsResolver fits). */
export interface RouteResolver {
  mx(domain: string): Promise<DnsOutcome<MxRecord>>;
  addresses(host: string): Promise<DnsOutcome<AddressRecord>>;
}

export interface RouteInput {
  domain: string;
  policy: Pick<DomainPolicy, 'smtp-hosts' | 'default-smtp-port' | 'bounce-upon-no-mx'> & Partial<Pick<DomainPolicy, 'mx-address-limit'>>;
  resolver: RouteResolver;
  /** Our own smtp-listeners (mail-loop.ts): they and every host no better are dropped; none = no check. */
  isOwn?: OwnListener;
  /** Random source in [0, 1) for shuffling equal preferences. Default Math.random. */
  random?: () => number;
}

type Failure = Extract<RouteResult, { kind: 'bounce' | 'defer' }>;

/** Hosts found, and whether a lookup failed temporarily on the way (then "none found" is a defer). */
interface Found {
  hosts: RouteHost[];
  tempfail: boolean;
}

const fail = (kind: Failure['kind'], code: RouteErrorCode, enhancedCode: string, category: BounceCategory, message: string): Failure => ({
  kind,
  code,
  enhancedCode,
  message,
  category,
});

/** Fisher–Yates on a copy. */
export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Sorted by preference, equal preferences in random order. */
export function orderMx(records: readonly MxRecord[], random: () => number): MxRecord[] {
  const prefs = [...new Set(records.map((r) => r.preference))].sort((a, b) => a - b);
  return prefs.flatMap((p) => shuffle(records.filter((r) => r.preference === p), random));
}

async function resolveHost(resolver: RouteResolver, name: string, port: number, preference: number): Promise<Found | 'nxdomain'> {
  const a = await resolver.addresses(name);
  if (a.kind === 'ok') return { hosts: a.records.map((r) => ({ name, ip: r.address, port, preference })), tempfail: false };
  return a.kind === 'nxdomain' ? 'nxdomain' : { hosts: [], tempfail: a.kind !== 'nodata' };
}

async function hostAddresses(resolver: RouteResolver, name: string, port: number, preference: number): Promise<Found> {
  const found = await resolveHost(resolver, name, port, preference);
  return found === 'nxdomain' ? { hosts: [], tempfail: false } : found;
}

function merge(parts: readonly Found[]): Found {
  const seen = new Set<string>();
  const hosts = parts
    .flatMap((p) => p.hosts)
    .filter((h) => {
      const key = `${h.ip}|${h.port}`;
      return seen.has(key) ? false : (seen.add(key), true);
    });
  return { hosts, tempfail: parts.some((p) => p.tempfail) };
}

/** MX routing of one domain; `preference` overrides the MX preferences (for lookup-mx inside smtp-hosts). */
async function mxRoute(domain: string, port: number, input: RouteInput, preference?: number): Promise<Found | Failure> {
  const random = input.random ?? Math.random;
  const mx = await input.resolver.mx(domain);
  switch (mx.kind) {
    case 'nxdomain':
      return fail('bounce', 'ROUTE_NXDOMAIN', '5.1.2', 'bad-domain', `${domain}: domain does not exist (NXDOMAIN)`);
    case 'servfail':
    case 'timeout':
      return fail('defer', 'ROUTE_DNS_TEMPFAIL', '4.4.3', 'routing-errors', `${domain}: MX lookup failed (${mx.kind.toUpperCase()})`);
    case 'nodata': {
      // No MX: the domain itself is the implicit MX (RFC 5321 §5.1).
      const found = await resolveHost(input.resolver, domain, port, preference ?? 0);
      if (found === 'nxdomain') return fail('bounce', 'ROUTE_NXDOMAIN', '5.1.2', 'bad-domain', `${domain}: domain does not exist (NXDOMAIN)`);
      return found;
    }
    case 'ok': {
      const real = mx.records.filter((r) => r.exchange !== '');
      if (real.length === 0) return fail('bounce', 'ROUTE_NULL_MX', '5.1.10', 'bad-domain', `${domain}: domain accepts no mail (null MX)`);
      const lookup = (r: MxRecord): Promise<Found> | Found => {
        const pref = preference ?? r.preference;
        // An IP address published as exchange is wrong (RFC 5321 §5.1) but common: use it as it is.
        return net.isIP(r.exchange) ? { hosts: [{ name: r.exchange, ip: r.exchange, port, preference: pref }], tempfail: false } : hostAddresses(input.resolver, r.exchange, port, pref);
      };
      const ordered = orderMx(real, random);
      const limit = addressLimit(input);
      // Every MX name gives at least one address or none: look them up `limit` at a time until there are enough.
      const parts: Found[] = [];
      for (let i = 0; i < ordered.length && merge(parts).hosts.length < limit; i += limit) {
        parts.push(...(await Promise.all(ordered.slice(i, i + limit).map(lookup))));
      }
      return merge(parts);
    }
  }
}

async function staticRoute(levels: NonNullable<DomainPolicy['smtp-hosts']>, port: number, input: RouteInput): Promise<Found> {
  const random = input.random ?? Math.random;
  const parts: Found[] = [];
  for (const [level, items] of levels.entries()) {
    const resolved = await Promise.all(
      shuffle(items, random).map(async (item): Promise<Found> => {
        if (item.kind === 'ip') return { hosts: [{ name: item.ip, ip: item.ip, port: item.port ?? port, preference: level }], tempfail: false };
        if (item.kind === 'host') return hostAddresses(input.resolver, item.host, item.port ?? port, level);
        const r = await mxRoute(item.domain, port, input, level);
        return 'kind' in r ? { hosts: [], tempfail: r.kind === 'defer' } : r;
      }),
    );
    parts.push(...resolved);
  }
  return merge(parts);
}

/** mx-address-limit; 0 (or absent) = no limit. */
function addressLimit(input: RouteInput): number {
  const limit = input.policy['mx-address-limit'];
  return limit === undefined || limit === null || limit <= 0 ? Infinity : limit;
}

/** `[1.2.3.4]`, `[IPv6:2001:db8::1]` → the IP; undefined when not an address literal. */
function addressLiteral(domain: string): string | 'bad' | undefined {
  if (!domain.startsWith('[')) return undefined;
  const m = /^\[(?:ipv6:)?([^\]]+)\]$/i.exec(domain);
  const ip = m?.[1];
  return ip !== undefined && net.isIP(ip) !== 0 ? ip : 'bad';
}

export async function route(input: RouteInput): Promise<RouteResult> {
  const found = await routeHosts(input);
  if (found.kind !== 'hosts' || input.isOwn === undefined) return found;
  return dropOwnHosts(normalizeName(input.domain), found.hosts, input.isOwn);
}

async function routeHosts(input: RouteInput): Promise<RouteResult> {
  const domain = normalizeName(input.domain);
  const port = input.policy['default-smtp-port'];
  const literal = addressLiteral(domain);
  if (literal === 'bad') return fail('bounce', 'ROUTE_BAD_LITERAL', '5.1.2', 'bad-domain', `${domain}: not a valid address literal`);
  if (literal !== undefined) return { kind: 'hosts', hosts: [{ name: domain, ip: literal, port, preference: 0 }] };

  const smtpHosts = input.policy['smtp-hosts'];
  // A rolled-up queue (NAME.rollup) has no MX: without hosts its rollup is no longer configured (a
  // reload dropped the list). Its mail waits (until the list is back, or bounce-after) instead of
  // bouncing as a domain that does not exist.
  if ((smtpHosts === undefined || smtpHosts.length === 0) && domain.endsWith('.rollup')) {
    return fail('defer', 'ROUTE_ROLLUP_GONE', '4.4.0', 'routing-errors', `${domain}: not an <mx-rollup-list> name now and no smtp-hosts: its mail waits`);
  }
  const found = smtpHosts !== undefined && smtpHosts.length > 0 ? await staticRoute(smtpHosts, port, input) : await mxRoute(domain, port, input);
  if ('kind' in found) return found;
  if (found.hosts.length > 0) return { kind: 'hosts', hosts: found.hosts.slice(0, addressLimit(input)) };
  if (found.tempfail) return fail('defer', 'ROUTE_DNS_TEMPFAIL', '4.4.3', 'routing-errors', `${domain}: address lookup of the mail hosts failed`);
  return input.policy['bounce-upon-no-mx']
    ? fail('bounce', 'ROUTE_NONE', '5.4.4', 'routing-errors', `${domain}: no mail host with an address (bounce-upon-no-mx)`)
    : fail('defer', 'ROUTE_NONE', '4.4.4', 'routing-errors', `${domain}: no mail host with an address`);
}

/** The failure as an error, for callers that throw. */
export function routeError(result: Failure): RouteError {
  return new RouteError(result.code, result.kind, result.enhancedCode, result.category, result.message);
}
