import { parseListenerAddress } from '@vmta/config';
import { describe, expect, it } from 'vitest';
import { dropOwnHosts, ownListenerOf } from './mail-loop.js';
import type { RouteHost } from './route.js';

const listeners = (...texts: string[]) => texts.map((t) => ({ address: parseListenerAddress(t) }));
const LOCAL = new Set(['10.0.0.5', 'fe80::1']);

describe('ownListenerOf', () => {
  it.each([
    // listeners, ip, port, ours
    [['10.0.0.5:25'], '10.0.0.5', 25, true],
    [['10.0.0.5:25'], '10.0.0.5', 2525, false],
    [['10.0.0.5:25'], '10.0.0.6', 25, false],
    [['192.0.2.7:25'], '192.0.2.7', 25, true], // the cluster's listener on another host is ours too
    [['0/0:25'], '10.0.0.5', 25, true],
    [['0/0:25'], '127.0.0.10', 25, true], // all of 127/8 is this host
    [['0/0:25'], '::ffff:10.0.0.5', 25, true],
    [['0/0:25'], '192.0.2.7', 25, false], // not an address of this host
    [['0/0:25'], 'fe80::1', 25, false], // 0.0.0.0 takes IPv4 only
    [['[::]:25'], 'fe80::1', 25, true],
    [['[::]:25'], '10.0.0.5', 25, true],
    [['[::1]:25'], '::1', 25, true],
    [[], '127.0.0.1', 25, false],
  ] as const)('listeners %j: [%s]:%i is ours: %s', (texts, ip, port, ours) => {
    expect(ownListenerOf(listeners(...texts), LOCAL)(ip, port)).toBe(ours);
  });
});

describe('dropOwnHosts', () => {
  const host = (ip: string, preference: number, port = 25): RouteHost => ({ name: `mx-${ip}`, ip, port, preference });
  const isOwn = ownListenerOf(listeners('10.0.0.5:25'), LOCAL);

  it('keeps a route without us as it is', () => {
    const hosts = [host('192.0.2.1', 10), host('192.0.2.2', 20)];
    expect(dropOwnHosts('d.test', hosts, isOwn)).toEqual({ kind: 'hosts', hosts });
  });

  it('as a backup MX, keeps only the better hosts (RFC 5321 §5.1)', () => {
    const r = dropOwnHosts('d.test', [host('192.0.2.1', 10), host('10.0.0.5', 20), host('192.0.2.3', 20), host('192.0.2.4', 30)], isOwn);
    expect(r).toEqual({ kind: 'hosts', hosts: [host('192.0.2.1', 10)] });
  });

  it('bounces with 5.4.6 when the best MX is us', () => {
    const r = dropOwnHosts('d.test', [host('10.0.0.5', 10), host('192.0.2.2', 20)], isOwn);
    expect(r).toMatchObject({ kind: 'bounce', code: 'ROUTE_LOOP', enhancedCode: '5.4.6', category: 'routing-errors' });
    expect(r.kind === 'bounce' && r.message).toMatch(/mail loop: MX points to us/);
  });
});
