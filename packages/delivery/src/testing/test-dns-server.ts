/**
 * A tiny authoritative DNS server for tests: UDP (and TCP, for truncated answers) on a loopback
 * address, answering real DNS packets from a zone object and counting the queries it gets.
 *
 *   const dns = await startTestDnsServer({ zone: {
 *     'example.test': { MX: [{ preference: 10, exchange: 'mx.example.test' }] },
 *     'mx.example.test': { A: ['127.0.0.2'] },
 *     'nx.test': 'NXDOMAIN', 'broken.test': 'SERVFAIL', 'slow.test': 'TIMEOUT',
 *   } });
 *   new DnsResolver({ servers: [dns.server] });
 *
 * A name not in the zone is NXDOMAIN; a name in the zone without records of the asked type is NODATA.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import * as packet from 'dns-packet';
import { DeliveryError } from '../errors.js';
import type { NameServerAddress } from '../dns/types.js';

export interface TestZoneRecords {
  MX?: Array<{ preference: number; exchange: string }>;
  A?: string[];
  AAAA?: string[];
  CNAME?: string;
  /** PTR records (host names), at a reverse name such as 9.0.0.127.in-addr.arpa (see `reverseName`). */
  PTR?: string[];
  /** TXT records; a string longer than 255 bytes is sent as several character-strings of one record. */
  TXT?: string[];
  /** TTL of these records in seconds. Default 300. */
  ttl?: number;
  /** Answer over UDP with the TC bit and no records, so the client must ask again over TCP. */
  truncate?: boolean;
}

export type TestZoneEntry = TestZoneRecords | 'NXDOMAIN' | 'SERVFAIL' | 'TIMEOUT';
export type TestZone = Record<string, TestZoneEntry>;

export interface TestDnsServerOptions {
  zone: TestZone;
  /** A loopback address. Default 127.0.0.1. */
  address?: string;
  /** Default 0: a free port (the same one for UDP and TCP). */
  port?: number;
  /** SOA minimum (negative-caching TTL) in seconds. Default 60. */
  negativeTtlS?: number;
}

export interface TestDnsServer {
  /** Where to send queries: hand it to `new DnsResolver({ servers: [server] })`. */
  readonly server: NameServerAddress;
  /** Every query received (UDP and TCP), in order, as "TYPE name". */
  readonly queries: readonly string[];
  /** How many queries asked for this name (any type, or the given type). */
  queryCount(name: string, type?: string): number;
  /** Replaces the zone (to test caching: the resolver should not notice until the TTL expires). */
  setZone(zone: TestZone): void;
  close(): Promise<void>;
}

const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 } as const;

function lower(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function answerFor(name: string, type: string, entry: TestZoneRecords): packet.Answer[] {
  const ttl = entry.ttl ?? 300;
  if (entry.CNAME !== undefined && type !== 'CNAME') return [{ type: 'CNAME', name, ttl, data: entry.CNAME }];
  if (type === 'MX') return (entry.MX ?? []).map((data) => ({ type: 'MX', name, ttl, data }));
  if (type === 'A') return (entry.A ?? []).map((data) => ({ type: 'A', name, ttl, data }));
  if (type === 'AAAA') return (entry.AAAA ?? []).map((data) => ({ type: 'AAAA', name, ttl, data }));
  if (type === 'PTR') return (entry.PTR ?? []).map((data) => ({ type: 'PTR', name, ttl, data }));
  if (type === 'TXT') return (entry.TXT ?? []).map((text) => ({ type: 'TXT', name, ttl, data: txtStrings(text) }));
  return [];
}

/** A TXT value as character-strings of at most 255 bytes (a DKIM RSA-2048 key record is longer). */
function txtStrings(text: string): Buffer[] {
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 255) out.push(bytes.subarray(i, i + 255));
  return out.length > 0 ? out : [Buffer.alloc(0)];
}

/** The reply to a query, or undefined to stay silent. */
function respond(query: packet.DecodedPacket, zone: TestZone, negativeTtlS: number, overUdp: boolean): Buffer | undefined {
  const q = query.questions?.[0];
  if (q === undefined) return undefined;
  const name = lower(q.name);
  const entry = zone[name];
  if (entry === 'TIMEOUT') return undefined;
  const base = { type: 'response' as const, id: query.id ?? 0, questions: [q] };
  const flags = packet.AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & packet.RECURSION_DESIRED);
  const soa: packet.Answer = {
    type: 'SOA',
    name: name.split('.').slice(-1)[0] ?? name,
    ttl: negativeTtlS,
    data: { mname: 'ns.test', rname: 'hostmaster.test', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: negativeTtlS },
  };
  if (entry === undefined || entry === 'NXDOMAIN') return packet.encode({ ...base, flags: flags | RCODE.NXDOMAIN, authorities: [soa] });
  if (entry === 'SERVFAIL') return packet.encode({ ...base, flags: flags | RCODE.SERVFAIL });
  if (overUdp && entry.truncate === true) return packet.encode({ ...base, flags: flags | packet.TRUNCATED_RESPONSE });
  const answers = answerFor(q.name, q.type, entry);
  return packet.encode({ ...base, flags, answers, authorities: answers.length === 0 ? [soa] : [] });
}

export async function startTestDnsServer(options: TestDnsServerOptions, attempt = 1): Promise<TestDnsServer> {
  const address = options.address ?? '127.0.0.1';
  const negativeTtlS = options.negativeTtlS ?? 60;
  let zone: TestZone = Object.fromEntries(Object.entries(options.zone).map(([k, v]) => [lower(k), v]));
  const queries: string[] = [];
  const decode = (buf: Buffer): packet.DecodedPacket | undefined => {
    try {
      const query = packet.decode(buf);
      const q = query.questions?.[0];
      if (q !== undefined) queries.push(`${q.type} ${lower(q.name)}`);
      return query;
    } catch {
      return undefined;
    }
  };

  const udp = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
  udp.on('message', (msg, rinfo) => {
    const query = decode(msg);
    const reply = query && respond(query, zone, negativeTtlS, true);
    if (reply !== undefined) udp.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(options.port ?? 0, address, () => resolve());
  });
  const port = udp.address().port;

  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let data = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      while (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        const query = decode(data.subarray(2, 2 + data.readUInt16BE(0)));
        data = data.subarray(2 + data.readUInt16BE(0));
        const reply = query && respond(query, zone, negativeTtlS, false);
        if (reply === undefined) continue;
        const len = Buffer.alloc(2);
        len.writeUInt16BE(reply.length);
        socket.write(Buffer.concat([len, reply]));
      }
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, address, () => resolve());
    });
  } catch (e) {
    udp.close();
    // The free UDP port may be taken for TCP: pick another one (only when no port was asked for).
    if (options.port === undefined && attempt < 5) return startTestDnsServer(options, attempt + 1);
    throw new DeliveryError('TEST_DNS_SERVER', `test DNS server: TCP port ${address}:${port} is taken`, { cause: e });
  }

  return {
    server: { ip: address, port },
    queries,
    queryCount: (name, type) => queries.filter((q) => q === `${type ?? q.split(' ')[0]} ${lower(name)}`).length,
    setZone(next) {
      zone = Object.fromEntries(Object.entries(next).map(([k, v]) => [lower(k), v]));
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}
