import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsResolver, parseServerText, reverseName } from './resolver.js';
import { startTestDnsServer, type TestDnsServer, type TestZone } from '../testing/test-dns-server.js';

const zone: TestZone = {
  'example.test': { MX: [{ preference: 10, exchange: 'mx1.example.test' }, { preference: 20, exchange: 'MX2.Example.Test.' }], ttl: 120 },
  'mx1.example.test': { A: ['127.0.0.11'], AAAA: ['::1'], ttl: 30 },
  'v4only.test': { A: ['127.0.0.12'] },
  'nomx.test': { A: ['127.0.0.13'] },
  'alias.test': { CNAME: 'mx1.example.test' },
  'big.test': { MX: [{ preference: 5, exchange: 'mx.big.test' }], truncate: true },
  'nullmx.test': { MX: [{ preference: 0, exchange: '.' }] },
  'txt.test': { TXT: ['v=spf1 -all', 'x'.repeat(300)] },
  '11.0.0.127.in-addr.arpa': { PTR: ['MX1.example.test.'] },
  [reverseName('2001:db8::1')]: { PTR: ['v6.example.test'] },
  'nx.test': 'NXDOMAIN',
  'broken.test': 'SERVFAIL',
  'slow.test': 'TIMEOUT',
};

let dns: TestDnsServer;
let clock = 1_000_000;
const fresh = (opts: Partial<ConstructorParameters<typeof DnsResolver>[0]> = {}): DnsResolver =>
  new DnsResolver({ servers: [dns.server], timeoutMs: 200, tries: 1, now: () => clock, ...opts });

beforeAll(async () => {
  dns = await startTestDnsServer({ zone, address: '127.0.0.1', negativeTtlS: 30 });
});
afterAll(async () => dns.close());

describe('DnsResolver', () => {
  it('returns MX records with their TTLs, names in lower case without the trailing dot', async () => {
    expect(await fresh().mx('Example.Test.')).toEqual({
      kind: 'ok',
      ttl: 120,
      records: [
        { preference: 10, exchange: 'mx1.example.test', ttl: 120 },
        { preference: 20, exchange: 'mx2.example.test', ttl: 120 },
      ],
    });
  });

  it('returns a null MX with an empty exchange', async () => {
    expect(await fresh().mx('nullmx.test')).toMatchObject({ kind: 'ok', records: [{ preference: 0, exchange: '' }] });
  });

  it('tells a domain that does not exist from one without MX records', async () => {
    const r = fresh();
    expect(await r.mx('nx.test')).toEqual({ kind: 'nxdomain' });
    expect(await r.mx('not-in-zone.test')).toEqual({ kind: 'nxdomain' });
    expect(await r.mx('nomx.test')).toEqual({ kind: 'nodata' });
  });

  it('reports SERVFAIL and a silent server as temporary failures', async () => {
    const r = fresh();
    expect(await r.mx('broken.test')).toEqual({ kind: 'servfail' });
    expect(await r.mx('slow.test')).toEqual({ kind: 'timeout' });
  });

  it('returns A and AAAA records of a host, IPv4 first, with the smallest TTL', async () => {
    expect(await fresh().addresses('mx1.example.test')).toEqual({
      kind: 'ok',
      ttl: 30,
      records: [
        { address: '127.0.0.11', family: 4, ttl: 30 },
        { address: '::1', family: 6, ttl: 30 },
      ],
    });
    expect(await fresh({ families: [4] }).addresses('mx1.example.test')).toMatchObject({ records: [{ address: '127.0.0.11' }] });
  });

  it('returns what it has when only one address family exists, and nodata when none does', async () => {
    expect(await fresh().addresses('v4only.test')).toMatchObject({ kind: 'ok', records: [{ address: '127.0.0.12', family: 4 }] });
    expect(await fresh().addresses('example.test')).toEqual({ kind: 'nodata' });
    expect(await fresh().addresses('nx.test')).toEqual({ kind: 'nxdomain' });
  });

  it('follows a CNAME to the addresses of its target', async () => {
    expect(await fresh({ families: [4] }).addresses('alias.test')).toMatchObject({ kind: 'ok', records: [{ address: '127.0.0.11' }] });
  });

  it('answers an IP address given as host name without asking DNS', async () => {
    const before = dns.queries.length;
    expect(await fresh().addresses('127.0.0.9')).toMatchObject({ kind: 'ok', records: [{ address: '127.0.0.9', family: 4 }] });
    expect(dns.queries.length).toBe(before);
  });

  it('asks again over TCP when the UDP answer is truncated', async () => {
    expect(await fresh().mx('big.test')).toMatchObject({ kind: 'ok', records: [{ preference: 5, exchange: 'mx.big.test' }] });
    expect(dns.queryCount('big.test', 'MX')).toBe(2);
  });

  it('caches an answer for its TTL and asks again once it expired, counting down the TTL', async () => {
    const r = fresh();
    const before = dns.queryCount('example.test', 'MX');
    await r.mx('example.test');
    clock += 100_000;
    expect(await r.mx('example.test')).toMatchObject({ kind: 'ok', ttl: 20 });
    expect(dns.queryCount('example.test', 'MX')).toBe(before + 1);
    clock += 21_000;
    await r.mx('example.test');
    expect(dns.queryCount('example.test', 'MX')).toBe(before + 2);
  });

  it('caches NXDOMAIN and NODATA for the SOA minimum', async () => {
    const r = fresh();
    const nx = dns.queryCount('nx.test');
    const nodata = dns.queryCount('nomx.test', 'MX');
    await r.mx('nx.test');
    await r.mx('nomx.test');
    clock += 29_000;
    await r.mx('nx.test');
    await r.mx('nomx.test');
    expect([dns.queryCount('nx.test') - nx, dns.queryCount('nomx.test', 'MX') - nodata]).toEqual([1, 1]);
    clock += 2_000;
    await r.mx('nx.test');
    expect(dns.queryCount('nx.test') - nx).toBe(2);
  });

  it('does not cache temporary failures', async () => {
    const r = fresh();
    const before = dns.queryCount('broken.test');
    await r.mx('broken.test');
    await r.mx('broken.test');
    expect(dns.queryCount('broken.test') - before).toBe(2);
  });

  it('sends one query for many concurrent lookups of the same name', async () => {
    const r = fresh();
    const before = dns.queryCount('mx1.example.test', 'A');
    const results = await Promise.all(Array.from({ length: 50 }, () => r.addresses('mx1.example.test')));
    expect(results.every((x) => x.kind === 'ok')).toBe(true);
    expect(dns.queryCount('mx1.example.test', 'A') - before).toBe(1);
  });
});

describe('DnsResolver TXT and PTR', () => {
  it('returns TXT records with their character-strings joined (a value over 255 bytes is split on the wire)', async () => {
    expect(await fresh().txt('TXT.test')).toMatchObject({
      kind: 'ok',
      records: [{ text: 'v=spf1 -all' }, { text: 'x'.repeat(300) }],
    });
    expect(await fresh().txt('nomx.test')).toEqual({ kind: 'nodata' });
  });

  it('returns the PTR names of an IPv4 and an IPv6 address, lower case without the trailing dot', async () => {
    expect(await fresh().ptr('127.0.0.11')).toMatchObject({ kind: 'ok', records: [{ name: 'mx1.example.test' }] });
    expect(await fresh().ptr('2001:db8:0::1')).toMatchObject({ kind: 'ok', records: [{ name: 'v6.example.test' }] });
    expect(await fresh().ptr('127.0.0.99')).toEqual({ kind: 'nxdomain' });
  });

  it.each([
    ['192.0.2.5', '5.2.0.192.in-addr.arpa'],
    ['2001:db8::1', '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa'],
    ['::ffff:192.0.2.5', '5.0.2.0.0.0.0.c.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa'],
  ])('writes the reverse name of %s as %s', (ip, name) => {
    expect(reverseName(ip)).toBe(name);
  });
});

describe('DnsResolver with several name servers', () => {
  let broken: TestDnsServer;
  let silent: TestDnsServer;
  let second: TestDnsServer;
  beforeAll(async () => {
    const everything = (v: 'SERVFAIL' | 'TIMEOUT'): TestZone => Object.fromEntries(Object.keys(zone).map((k) => [k, v]));
    broken = await startTestDnsServer({ zone: everything('SERVFAIL'), address: '127.0.0.2' });
    silent = await startTestDnsServer({ zone: everything('TIMEOUT'), address: '127.0.0.3' });
    second = await startTestDnsServer({ zone, address: '127.0.0.4' });
  });
  afterAll(async () => Promise.all([broken.close(), silent.close(), second.close()]));

  it('fails over to the next server when one answers SERVFAIL or stays silent', async () => {
    const r = fresh({ servers: [broken.server, silent.server, dns.server] });
    expect(await r.mx('example.test')).toMatchObject({ kind: 'ok' });
    expect(broken.queryCount('example.test', 'MX')).toBe(1);
    expect(silent.queryCount('example.test', 'MX')).toBe(1);
  });

  it('reports servfail when any server said SERVFAIL, after every try', async () => {
    const r = fresh({ servers: [silent.server, broken.server], tries: 2 });
    const before = silent.queryCount('nomx.test', 'MX');
    expect(await r.mx('nomx.test')).toEqual({ kind: 'servfail' });
    expect(silent.queryCount('nomx.test', 'MX') - before).toBe(2);
  });

  it('spreads lookups over the servers round robin', async () => {
    const r = fresh({ servers: [dns.server, second.server] });
    const before = [dns.queryCount('v4only.test', 'MX'), second.queryCount('v4only.test', 'MX')];
    for (let i = 0; i < 4; i++) {
      r.clearCache();
      await r.mx('v4only.test');
    }
    expect([dns.queryCount('v4only.test', 'MX') - before[0]!, second.queryCount('v4only.test', 'MX') - before[1]!]).toEqual([2, 2]);
  });
});

describe('parseServerText', () => {
  it.each([
    ['10.0.0.53', { ip: '10.0.0.53', port: 53 }],
    ['10.0.0.53:5353', { ip: '10.0.0.53', port: 5353 }],
    ['2001:db8::53', { ip: '2001:db8::53', port: 53 }],
    ['[2001:db8::53]:5353', { ip: '2001:db8::53', port: 5353 }],
  ])('reads %s as node dns.getServers() writes it', (text, expected) => {
    expect(parseServerText(text)).toEqual(expected);
  });
});
