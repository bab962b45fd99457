/**
 * Our own stub resolver for delivery: MX and A/AAAA lookups with TTLs and a clear outcome.
 *
 * Why not node's `dns.Resolver`: its `resolveMx` returns no TTLs (only `resolve4/6` have a `ttl`
 * option), and it maps both NXDOMAIN and NODATA to `ENOTFOUND`/`ENODATA` inconsistently across
 * c-ares versions, so "the domain does not exist" (bounce) cannot be told reliably from "the
 * domain has no MX" (implicit MX, RFC 5321 §5.1). We send real DNS packets instead (dns-packet over
 * UDP, TCP when truncated) and read the RCODE and the SOA for negative caching (RFC 2308) ourselves.
 *
 * Answers are cached in-process by TTL, lookups of a name already in flight are shared (thousands of
 * recipients at one domain cause one query), servers are used round robin with failover.
 * Temporary failures (SERVFAIL, timeout) are not cached.
 */
import dns from 'node:dns';
import net from 'node:net';
import type * as packet from 'dns-packet';
import { DnsError } from '../errors.js';
import { queryServer, type QueryType } from './transport.js';
import type { AddressRecord, DnsOutcome, DnsRecordOf, MxRecord, NameServerAddress, PtrRecord, TxtRecord } from './types.js';

export interface DnsResolverOptions {
  /** From `name-server`; default: the OS resolvers (/etc/resolv.conf) as node's `dns.getServers()` lists them. */
  servers?: readonly NameServerAddress[];
  /** Per query and server. Default 2000. */
  timeoutMs?: number;
  /** Rounds over all servers before giving up. Default 2. */
  tries?: number;
  /** Address families `addresses()` asks for. Default [4, 6]. */
  families?: ReadonlyArray<4 | 6>;
  /** Negative answers without an SOA are cached this long. Default 60. */
  negativeTtlS?: number;
  /** Upper bound for any cached answer. Default 86400. */
  maxTtlS?: number;
  /** Cached names (oldest dropped first). Default 10000. */
  maxEntries?: number;
  /** Clock in ms, for tests. */
  now?: () => number;
}

type CachedRecord = DnsRecordOf[QueryType];
type Outcome = DnsOutcome<CachedRecord>;

const RCODE_NOERROR = 0;
const RCODE_NXDOMAIN = 3;
const MAX_CNAME_CHAIN = 8;

/** Parses what `dns.getServers()` returns: "1.2.3.4", "1.2.3.4:5353", "::1", "[::1]:5353". */
export function parseServerText(text: string): NameServerAddress {
  const m = /^\[(.+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (m !== null) return { ip: m[1]!, port: Number(m[2]) };
  return { ip: text, port: 53 };
}

export function normalizeName(name: string): string {
  const n = name.toLowerCase();
  return n.endsWith('.') ? n.slice(0, -1) : n;
}

function isValidName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => l.length > 0 && l.length <= 63);
}

function toRecord(a: packet.Answer): CachedRecord | undefined {
  const ttl = 'ttl' in a ? (a.ttl ?? 0) : 0;
  if (a.type === 'MX') {
    const exchange = normalizeName(a.data.exchange);
    return { preference: a.data.preference ?? 0, exchange: exchange === '.' ? '' : exchange, ttl };
  }
  if (a.type === 'A' || a.type === 'AAAA') return { address: a.data, family: a.type === 'A' ? 4 : 6, ttl };
  if (a.type === 'TXT') {
    const parts = Array.isArray(a.data) ? a.data : [a.data];
    return { text: parts.map((p) => (typeof p === 'string' ? p : p.toString('latin1'))).join(''), ttl };
  }
  if (a.type === 'PTR') return { name: normalizeName(a.data), ttl };
  return undefined;
}

/** The full 8 groups of an IPv6 address, 4 hex digits each (an embedded IPv4 tail becomes 2 groups). */
export function ipv6Groups(ip: string): string[] {
  let text = ip.toLowerCase().replace(/%.*$/, '');
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const middle = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...middle, ...t].map((g) => g.padStart(4, '0'));
}

/** The name a PTR record of an address lives at: 4.3.2.1.in-addr.arpa, or 32 nibbles under ip6.arpa (RFC 3596). */
export function reverseName(ip: string): string {
  if (net.isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  if (!net.isIPv6(ip)) throw new DnsError('DNS_BAD_NAME', `"${ip}" is not an IP address`, ip);
  return `${[...ipv6Groups(ip).join('')].reverse().join('.')}.ip6.arpa`;
}

/** Reads one reply: records (following CNAMEs in the packet), or the negative answer and its TTL. */
function interpret(
  reply: packet.DecodedPacket,
  name: string,
  type: QueryType,
): { outcome: Outcome; ttlS: number | undefined; cnameTarget?: string } {
  const rcode = (reply.flags ?? 0) & 0xf;
  const soa = reply.authorities?.find((a) => a.type === 'SOA');
  const negativeTtl = soa?.type === 'SOA' ? Math.min(soa.ttl ?? 0, soa.data.minimum ?? 0) : undefined;
  if (rcode === RCODE_NXDOMAIN) return { outcome: { kind: 'nxdomain' }, ttlS: negativeTtl };
  if (rcode !== RCODE_NOERROR) return { outcome: { kind: 'servfail' }, ttlS: undefined };
  const answers = reply.answers ?? [];
  let current = name;
  let ttl = Infinity;
  for (let i = 0; i <= MAX_CNAME_CHAIN; i++) {
    const own = answers.filter((a) => a.type === type && normalizeName(a.name) === current);
    const records = own.map(toRecord).filter((r): r is CachedRecord => r !== undefined);
    if (records.length > 0) {
      ttl = Math.min(ttl, ...records.map((r) => r.ttl));
      return { outcome: { kind: 'ok', records, ttl }, ttlS: ttl };
    }
    const cname = answers.find((a) => a.type === 'CNAME' && normalizeName(a.name) === current);
    if (cname?.type !== 'CNAME') break;
    ttl = Math.min(ttl, cname.ttl ?? 0);
    current = normalizeName(cname.data);
  }
  if (current !== name) return { outcome: { kind: 'nodata' }, ttlS: negativeTtl, cnameTarget: current };
  return { outcome: { kind: 'nodata' }, ttlS: negativeTtl };
}

export class DnsResolver {
  private servers: readonly NameServerAddress[] | undefined;
  private nextServer = 0;
  private readonly cache = new Map<string, { outcome: Outcome; expiresAt: number }>();
  private readonly inFlight = new Map<string, Promise<Outcome>>();
  private readonly timeoutMs: number;
  private readonly tries: number;
  private readonly families: ReadonlyArray<4 | 6>;
  private readonly negativeTtlS: number;
  private readonly maxTtlS: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: DnsResolverOptions = {}) {
    this.servers = options.servers && options.servers.length > 0 ? [...options.servers] : undefined;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.tries = Math.max(1, options.tries ?? 2);
    this.families = options.families ?? [4, 6];
    this.negativeTtlS = options.negativeTtlS ?? 60;
    this.maxTtlS = options.maxTtlS ?? 86_400;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** MX records of a domain as published (unsorted; a null MX has exchange ""). */
  async mx(domain: string): Promise<DnsOutcome<MxRecord>> {
    return (await this.lookup(normalizeName(domain), 'MX')) as DnsOutcome<MxRecord>;
  }

  /** Records of one type as published (the answer of one query, CNAMEs followed). */
  async query<T extends QueryType>(name: string, type: T): Promise<DnsOutcome<DnsRecordOf[T]>> {
    return (await this.lookup(normalizeName(name), type)) as DnsOutcome<DnsRecordOf[T]>;
  }

  /** TXT records of a name, each one's character-strings joined. */
  async txt(name: string): Promise<DnsOutcome<TxtRecord>> {
    return this.query(name, 'TXT');
  }

  /** PTR records of an address (reverse DNS). */
  async ptr(ip: string): Promise<DnsOutcome<PtrRecord>> {
    return this.query(reverseName(ip), 'PTR');
  }

  /** A and AAAA records of a host (IPv4 first); an IP address given as host answers itself. */
  async addresses(host: string): Promise<DnsOutcome<AddressRecord>> {
    const family = net.isIP(host);
    if (family === 4 || family === 6) return { kind: 'ok', records: [{ address: host, family, ttl: this.maxTtlS }], ttl: this.maxTtlS };
    const name = normalizeName(host);
    const types: QueryType[] = this.families.map((f) => (f === 4 ? 'A' : 'AAAA'));
    const outcomes = (await Promise.all(types.map((t) => this.lookup(name, t)))) as DnsOutcome<AddressRecord>[];
    const ok = outcomes.filter((o) => o.kind === 'ok');
    if (ok.length > 0) return { kind: 'ok', records: ok.flatMap((o) => o.records), ttl: Math.min(...ok.map((o) => o.ttl)) };
    if (outcomes.some((o) => o.kind === 'nxdomain')) return { kind: 'nxdomain' };
    if (outcomes.every((o) => o.kind === 'nodata')) return { kind: 'nodata' };
    return outcomes.some((o) => o.kind === 'servfail') ? { kind: 'servfail' } : { kind: 'timeout' };
  }

  /** Drops every cached answer (in-flight lookups finish as they are). */
  clearCache(): void {
    this.cache.clear();
  }

  private lookup(name: string, type: QueryType, depth = 0): Promise<Outcome> {
    if (!isValidName(name)) return Promise.resolve({ kind: 'nxdomain' });
    const key = `${type} ${name}`;
    const hit = this.cache.get(key);
    const now = this.now();
    if (hit !== undefined) {
      if (hit.expiresAt > now) {
        const o = hit.outcome;
        return Promise.resolve(o.kind === 'ok' ? { ...o, ttl: Math.ceil((hit.expiresAt - now) / 1000) } : o);
      }
      this.cache.delete(key);
    }
    const pending = this.inFlight.get(key);
    if (pending !== undefined) return pending;
    const p = this.ask(name, type, depth).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  private async ask(name: string, type: QueryType, depth: number): Promise<Outcome> {
    const servers = this.serverList();
    const start = this.nextServer++ % servers.length;
    let sawServfail = false;
    for (let round = 0; round < this.tries; round++) {
      for (let i = 0; i < servers.length; i++) {
        const server = servers[(start + i) % servers.length]!;
        let reply: packet.DecodedPacket;
        try {
          reply = await queryServer(server, name, type, this.timeoutMs);
        } catch (e) {
          if (!(e instanceof DnsError) || e.code !== 'DNS_TIMEOUT') sawServfail = true;
          continue;
        }
        const { outcome, ttlS, cnameTarget } = interpret(reply, name, type);
        if (outcome.kind === 'servfail') {
          sawServfail = true;
          continue;
        }
        if (cnameTarget !== undefined && depth < MAX_CNAME_CHAIN) {
          // The server gave the alias but not the target's records: ask for the target.
          return this.lookup(cnameTarget, type, depth + 1);
        }
        this.store(`${type} ${name}`, outcome, ttlS ?? this.negativeTtlS);
        return outcome;
      }
    }
    return sawServfail ? { kind: 'servfail' } : { kind: 'timeout' };
  }

  private store(key: string, outcome: Outcome, ttlS: number): void {
    const ttl = Math.min(Math.max(0, ttlS), this.maxTtlS);
    if (ttl === 0) return;
    if (this.cache.size >= this.maxEntries) {
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
    this.cache.set(key, { outcome, expiresAt: this.now() + ttl * 1000 });
  }

  private serverList(): readonly NameServerAddress[] {
    this.servers ??= dns.getServers().map(parseServerText);
    if (this.servers.length === 0) this.servers = [{ ip: '127.0.0.1', port: 53 }];
    return this.servers;
  }
}
