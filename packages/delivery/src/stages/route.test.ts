import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domainPolicy, loadConfigText } from '@vmta/config';
import { DnsResolver } from '../dns/resolver.js';
import { startTestDnsServer, type TestDnsServer } from '../testing/test-dns-server.js';
import { orderMx, route, routeError, type RouteInput } from './route.js';

let dns: TestDnsServer;
const KEEP_ORDER = (): number => 0.999; // Fisher–Yates with j = i: no swaps
const SWAP = (): number => 0; // two items: reversed

function policyFor(domain: string, lines: string[] = []): RouteInput['policy'] {
  return domainPolicy(loadConfigText(['<domain *>', ...lines, '</domain>'].join('\n')), domain).settings;
}

async function routeOf(domain: string, lines: string[] = [], random = KEEP_ORDER) {
  const resolver = new DnsResolver({ servers: [dns.server], timeoutMs: 200, tries: 1, families: [4] });
  return route({ domain, policy: policyFor(domain, lines), resolver, random });
}

beforeAll(async () => {
  dns = await startTestDnsServer({
    address: '127.0.0.1',
    zone: {
      'example.test': {
        MX: [
          { preference: 20, exchange: 'mx3.example.test' },
          { preference: 10, exchange: 'mx1.example.test' },
          { preference: 10, exchange: 'mx2.example.test' },
        ],
      },
      'mx1.example.test': { A: ['127.0.0.11'] },
      'mx2.example.test': { A: ['127.0.0.12', '127.0.0.13'] },
      'mx3.example.test': { A: ['127.0.0.14'] },
      'implicit.test': { A: ['127.0.0.21'] },
      'nothing.test': {},
      'nullmx.test': { MX: [{ preference: 0, exchange: '.' }] },
      'dangling.test': { MX: [{ preference: 10, exchange: 'gone.test' }] },
      'halfbroken.test': { MX: [{ preference: 10, exchange: 'broken-mx.test' }] },
      'broken-mx.test': 'SERVFAIL',
      'relay.test': { A: ['127.0.0.31'] },
      'nx.test': 'NXDOMAIN',
      'broken.test': 'SERVFAIL',
      'slow.test': 'TIMEOUT',
    },
  });
});
afterAll(async () => dns.close());

describe('route by MX', () => {
  it('orders hosts by MX preference, with every address of each host, on default-smtp-port', async () => {
    expect(await routeOf('example.test', ['default-smtp-port 2525'])).toEqual({
      kind: 'hosts',
      hosts: [
        { name: 'mx1.example.test', ip: '127.0.0.11', port: 2525, preference: 10 },
        { name: 'mx2.example.test', ip: '127.0.0.12', port: 2525, preference: 10 },
        { name: 'mx2.example.test', ip: '127.0.0.13', port: 2525, preference: 10 },
        { name: 'mx3.example.test', ip: '127.0.0.14', port: 2525, preference: 20 },
      ],
    });
  });

  it('shuffles hosts of equal preference with the random source it is given', async () => {
    const r = await routeOf('example.test', [], SWAP);
    expect(r.kind === 'hosts' && r.hosts.map((h) => h.name)).toEqual(['mx2.example.test', 'mx2.example.test', 'mx1.example.test', 'mx3.example.test']);
  });

  it('uses the domain itself as implicit MX when it has no MX records', async () => {
    expect(await routeOf('implicit.test')).toEqual({ kind: 'hosts', hosts: [{ name: 'implicit.test', ip: '127.0.0.21', port: 25, preference: 0 }] });
  });

  it('routes an address literal to that address', async () => {
    expect(await routeOf('[127.0.0.5]')).toEqual({ kind: 'hosts', hosts: [{ name: '[127.0.0.5]', ip: '127.0.0.5', port: 25, preference: 0 }] });
    expect(await routeOf('[IPv6:::1]')).toMatchObject({ kind: 'hosts', hosts: [{ ip: '::1' }] });
  });

  it.each([
    // domain, settings, kind, code, enhanced code, category
    ['nx.test', [], 'bounce', 'ROUTE_NXDOMAIN', '5.1.2', 'bad-domain'],
    ['nullmx.test', [], 'bounce', 'ROUTE_NULL_MX', '5.1.10', 'bad-domain'],
    ['broken.test', [], 'defer', 'ROUTE_DNS_TEMPFAIL', '4.4.3', 'routing-errors'],
    ['slow.test', [], 'defer', 'ROUTE_DNS_TEMPFAIL', '4.4.3', 'routing-errors'],
    ['halfbroken.test', ['bounce-upon-no-mx yes'], 'defer', 'ROUTE_DNS_TEMPFAIL', '4.4.3', 'routing-errors'],
    ['nothing.test', [], 'defer', 'ROUTE_NONE', '4.4.4', 'routing-errors'],
    ['dangling.test', [], 'defer', 'ROUTE_NONE', '4.4.4', 'routing-errors'],
    ['nothing.test', ['bounce-upon-no-mx yes'], 'bounce', 'ROUTE_NONE', '5.4.4', 'routing-errors'],
    ['dangling.test', ['bounce-upon-no-mx yes'], 'bounce', 'ROUTE_NONE', '5.4.4', 'routing-errors'],
    ['[300.1.1.1]', [], 'bounce', 'ROUTE_BAD_LITERAL', '5.1.2', 'bad-domain'],
    // A rolled-up queue after a reload dropped its <mx-rollup-list>: NAME.rollup has no MX (NXDOMAIN), its mail waits.
    ['gone.rollup', [], 'defer', 'ROUTE_ROLLUP_GONE', '4.4.0', 'routing-errors'],
  ])('%s with %j ends in %s (%s, %s, %s)', async (domain, lines, kind, code, enhancedCode, category) => {
    expect(await routeOf(domain, lines)).toMatchObject({ kind, code, enhancedCode, category });
  });

  it('turns a failed route into a RouteError with the same code', async () => {
    const r = await routeOf('nx.test');
    if (r.kind === 'hosts') throw new Error('expected a bounce');
    expect(routeError(r)).toMatchObject({ name: 'RouteError', code: 'ROUTE_NXDOMAIN', action: 'bounce', enhancedCode: '5.1.2' });
  });
});

describe('route by smtp-hosts', () => {
  it('uses the levels in order: literals with their port, names resolved, lookup-mx as the other domain routes', async () => {
    const r = await routeOf('anything.test', ['smtp-hosts [127.0.0.41]:2525, relay.test; lookup-mx:example.test; [127.0.0.42]', 'default-smtp-port 587', 'mx-address-limit 10']);
    expect(r).toEqual({
      kind: 'hosts',
      hosts: [
        { name: '127.0.0.41', ip: '127.0.0.41', port: 2525, preference: 0 },
        { name: 'relay.test', ip: '127.0.0.31', port: 587, preference: 0 },
        { name: 'mx1.example.test', ip: '127.0.0.11', port: 587, preference: 1 },
        { name: 'mx2.example.test', ip: '127.0.0.12', port: 587, preference: 1 },
        { name: 'mx2.example.test', ip: '127.0.0.13', port: 587, preference: 1 },
        { name: 'mx3.example.test', ip: '127.0.0.14', port: 587, preference: 1 },
        { name: '127.0.0.42', ip: '127.0.0.42', port: 587, preference: 2 },
      ],
    });
  });

  it('shuffles the hosts of one level', async () => {
    const r = await routeOf('anything.test', ['smtp-hosts [127.0.0.41], [127.0.0.42]; [127.0.0.43]'], SWAP);
    expect(r.kind === 'hosts' && r.hosts.map((h) => h.ip)).toEqual(['127.0.0.42', '127.0.0.41', '127.0.0.43']);
  });

  it('skips hosts that do not resolve and defers when none is left', async () => {
    expect(await routeOf('anything.test', ['smtp-hosts nx.test; relay.test'])).toMatchObject({ kind: 'hosts', hosts: [{ ip: '127.0.0.31' }] });
    expect(await routeOf('anything.test', ['smtp-hosts nx.test, broken.test'])).toMatchObject({ kind: 'defer', code: 'ROUTE_DNS_TEMPFAIL' });
    expect(await routeOf('anything.test', ['smtp-hosts nothing.test'])).toMatchObject({ kind: 'defer', code: 'ROUTE_NONE' });
  });

  it('does not look up the MX of the recipient domain', async () => {
    const before = dns.queryCount('unrouted.test');
    await routeOf('unrouted.test', ['smtp-hosts [127.0.0.41]']);
    expect(dns.queryCount('unrouted.test')).toBe(before);
  });
});

describe('orderMx', () => {
  it('sorts by preference and keeps equal preferences together', () => {
    const mx = (preference: number, exchange: string) => ({ preference, exchange, ttl: 1 });
    expect(orderMx([mx(30, 'c'), mx(10, 'a1'), mx(20, 'b'), mx(10, 'a2')], KEEP_ORDER).map((r) => r.exchange)).toEqual(['a1', 'a2', 'b', 'c']);
  });
});

describe('mx-address-limit', () => {
  /** A domain with 50 MX hosts of one address each; counts the address lookups. */
  function fiftyMx() {
    const lookups: string[] = [];
    const resolver = {
      mx: async () => ({ kind: 'ok' as const, ttl: 60, records: Array.from({ length: 50 }, (_, i) => ({ preference: i, exchange: `mx${i}.many.test`, ttl: 60 })) }),
      addresses: async (host: string) => {
        lookups.push(host);
        const i = Number(/^mx(\d+)\./.exec(host)![1]);
        return { kind: 'ok' as const, ttl: 60, records: [{ address: `127.1.0.${i + 1}`, family: 4 as const, ttl: 60 }] };
      },
    };
    return { resolver, lookups };
  }

  it('keeps the best mx-address-limit addresses of 50 MX hosts and looks up no more names than that', async () => {
    const { resolver, lookups } = fiftyMx();
    const r = await route({ domain: 'many.test', policy: policyFor('many.test', ['mx-address-limit 5']), resolver, random: KEEP_ORDER });
    expect(r.kind === 'hosts' && r.hosts.map((h) => h.name)).toEqual(['mx0.many.test', 'mx1.many.test', 'mx2.many.test', 'mx3.many.test', 'mx4.many.test']);
    expect(lookups).toHaveLength(5);
  });

  it('defaults to 5 addresses, and 0 means every address', async () => {
    const r = await route({ domain: 'many.test', policy: policyFor('many.test'), resolver: fiftyMx().resolver, random: KEEP_ORDER });
    expect(r.kind === 'hosts' && r.hosts).toHaveLength(5);
    const all = await route({ domain: 'many.test', policy: policyFor('many.test', ['mx-address-limit 0']), resolver: fiftyMx().resolver, random: KEEP_ORDER });
    expect(all.kind === 'hosts' && all.hosts).toHaveLength(50);
  });

  it('cuts smtp-hosts to the limit too, best level first', async () => {
    const hosts = Array.from({ length: 50 }, (_, i) => `[127.1.1.${i + 1}]:25`).join(';');
    const r = await routeOf('static.test', [`smtp-hosts ${hosts}`, 'mx-address-limit 3']);
    expect(r.kind === 'hosts' && r.hosts.map((h) => h.ip)).toEqual(['127.1.1.1', '127.1.1.2', '127.1.1.3']);
  });
});
