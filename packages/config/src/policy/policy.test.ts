import { describe, expect, it } from 'vitest';
import { domainPolicy, loadConfigText, noticeSender, sourcePolicy, VmtaSelector, vmtaBySourceIp, vmtaUsesSourceIp, findVmtaOrPool, DEFAULT_ORIGIN } from '../index.js';

const config = loadConfigText(
  [
    '<domain *>', // 1
    '  max-smtp-out 10', // 2
    '  retry-after 5m,10m', // 3
    '  smtp-hosts [10.0.0.1]', // 4
    '</domain>', // 5
    '<domain [*.]example.com>', // 6
    '  max-smtp-out 5', // 7
    '  use-starttls no', // 8
    '</domain>', // 9
    '<domain *.example.com>', // 10
    '  max-smtp-out 4', // 11
    '</domain>', // 12
    '<domain example.com>', // 13
    '  max-smtp-out 3', // 14
    '  smtp-hosts ""', // 15
    '</domain>', // 16
    '<domain [*.]sub.example.com>', // 17
    '  max-smtp-out 2', // 18
    '</domain>', // 19
    '<virtual-mta mta1>', // 20
    '  smtp-source-host 127.0.0.2 mta1.example.net', // 21
    '  <domain example.com>', // 22
    '    max-msg-rate 100/h', // 23
    '  </domain>', // 24
    '</virtual-mta>', // 25
    '<virtual-mta mta2>', // 26
    '  smtp-source-host 127.0.0.3 mta2.example.net', // 27
    '  <domain *>', // 28
    '    use-starttls yes', // 29
    '  </domain>', // 30
    '</virtual-mta>', // 31
    '<virtual-mta-pool pool1>', // 32
    '  virtual-mta mta1', // 33
    '  virtual-mta MTA2', // 34
    '  <domain *>', // 35
    '    max-smtp-out 7', // 36
    '    connect-timeout 30s', // 37
    '  </domain>', // 38
    '</virtual-mta-pool>', // 39
  ].join('\n'),
);

describe('domainPolicy: most specific pattern wins, merged from general to specific', () => {
  it.each([
    // domain, vmta, max-smtp-out, use-starttls, line of max-smtp-out
    ['other.org', undefined, 10, true, 2],
    ['example.com', undefined, 3, false, 14],
    ['a.example.com', undefined, 4, false, 11],
    ['EXAMPLE.COM.', undefined, 3, false, 14],
    ['sub.example.com', undefined, 2, false, 18],
    ['x.sub.example.com', undefined, 2, false, 18],
    ['example.com.evil.org', undefined, 10, true, 2],
    ['notexample.com', undefined, 10, true, 2],
  ])('%s/%s gets max-smtp-out %i and use-starttls %s', (domain, vmta, maxOut, tls, line) => {
    const p = domainPolicy(config, domain, vmta);
    expect(p.settings['max-smtp-out']).toBe(maxOut);
    expect(p.settings['use-starttls']).toBe(tls);
    expect(p.origins['max-smtp-out']?.line).toBe(line);
  });

  it('clears an inherited value with ""', () => {
    expect(domainPolicy(config, 'a.example.com').settings['smtp-hosts']).toEqual([[{ kind: 'ip', ip: '10.0.0.1' }]]);
    expect(domainPolicy(config, 'example.com').settings['smtp-hosts']).toBeUndefined();
    expect(domainPolicy(config, 'example.com').origins['smtp-hosts']).toBeUndefined();
  });

  it('fills unset directives from the defaults and says so', () => {
    const p = domainPolicy(config, 'other.org');
    expect(p.settings['bounce-after']).toBe(108 * 3_600_000);
    expect(p.settings['max-msg-rate']).toBe('unlimited');
    expect(p.origins['bounce-after']).toEqual(DEFAULT_ORIGIN);
  });

  it.each([
    // queue, max-smtp-out, use-starttls, connect-timeout ms, max-msg-rate
    ['example.com/mta1', 7, false, 30_000, { count: 100, perMs: 3_600_000 }],
    ['gmail.com/mta1', 7, true, 30_000, 'unlimited'],
    ['example.com/mta2', 7, true, 30_000, 'unlimited'],
    ['example.com/{default}', 3, false, 120_000, 'unlimited'],
  ])('%s: the VMTA level beats its pools, which beat the top level', (queue, maxOut, tls, connectMs, rate) => {
    const [domain, vmta] = queue.split('/') as [string, string];
    const p = domainPolicy(config, domain, vmta).settings;
    expect(p['max-smtp-out']).toBe(maxOut);
    expect(p['use-starttls']).toBe(tls);
    expect(p['connect-timeout']).toBe(connectMs);
    expect(p['max-msg-rate']).toEqual(rate);
  });
});

const sources = loadConfigText(
  [
    'smtp-listener 0/0:25', // 1
    'smtp-listener 127.0.0.1:2525 source=feeder', // 2
    '<source 0/0>', // 3
    '  require-auth yes', // 4
    '  max-message-size 10M', // 5
    '  default-virtual-mta mta1', // 6
    '</source>', // 7
    '<source 10.0.0.0/8>', // 8
    '  max-message-size 20M', // 9
    '</source>', // 10
    '<source 10.1.0.0/16>', // 11
    '  max-message-size 30M', // 12
    '  require-auth no', // 13
    '</source>', // 14
    '<source 10.1.2.3>', // 15
    '  always-allow-relaying yes', // 16
    '</source>', // 17
    '<source feeder>', // 18
    '  always-allow-relaying yes', // 19
    '  default-virtual-mta ""', // 20
    '</source>', // 21
    '<source {auth}>', // 22
    '  max-message-size 50M', // 23
    '  process-x-virtual-mta yes', // 24
    '</source>', // 25
    '<source bulk>', // 26
    '  default-virtual-mta pool1', // 27
    '</source>', // 28
    '<smtp-user alice>', // 29
    '  password a', // 30
    '  source bulk', // 31
    '</smtp-user>', // 32
    '<smtp-user bob>', // 33
    '  password b', // 34
    '</smtp-user>', // 35
    '<virtual-mta mta1>', // 36
    '  smtp-source-host 127.0.0.2 mta1.example.net', // 37
    '</virtual-mta>', // 38
    '<virtual-mta mta2>', // 39
    '  smtp-source-host 10.9.0.0/24 mta2.example.net', // 40
    '</virtual-mta>', // 41
    '<virtual-mta-pool pool1>', // 42
    '  virtual-mta mta1', // 43
    '  virtual-mta mta2', // 44
    '</virtual-mta-pool>', // 45
  ].join('\n'),
);
const MB = 1024 * 1024;

describe('sourcePolicy: most specific CIDR, merged from 0/0 down, then named sources', () => {
  it.each([
    // ip, listener source, auth user, max-message-size, require-auth, relaying, default-virtual-mta
    ['192.0.2.1', undefined, undefined, 10 * MB, true, false, 'mta1'],
    ['10.5.5.5', undefined, undefined, 20 * MB, true, false, 'mta1'],
    ['10.1.9.9', undefined, undefined, 30 * MB, false, false, 'mta1'],
    ['10.1.2.3', undefined, undefined, 30 * MB, false, true, 'mta1'],
    ['::ffff:10.1.2.3', undefined, undefined, 30 * MB, false, true, 'mta1'],
    ['2001:db8::1', undefined, undefined, 10 * MB, true, false, 'mta1'],
    ['192.0.2.1', 'feeder', undefined, 10 * MB, true, true, undefined],
    ['192.0.2.1', undefined, 'bob', 50 * MB, true, false, 'mta1'],
    ['192.0.2.1', undefined, 'alice', 50 * MB, true, false, 'pool1'],
    ['10.1.2.3', 'feeder', 'alice', 50 * MB, false, true, 'pool1'],
  ])('%s (listener source %s, user %s)', (ip, listenerSource, authUser, size, auth, relay, vmta) => {
    const p = sourcePolicy(sources, ip, { listener: { source: listenerSource }, authUser }).settings;
    expect(p['max-message-size']).toBe(size);
    expect(p['require-auth']).toBe(auth);
    expect(p['always-allow-relaying']).toBe(relay);
    expect(p['default-virtual-mta']).toBe(vmta);
  });

  it('applies {auth} only to authenticated clients', () => {
    expect(sourcePolicy(sources, '192.0.2.1').settings['process-x-virtual-mta']).toBe(false);
    expect(sourcePolicy(sources, '192.0.2.1', { authUser: 'bob' }).settings['process-x-virtual-mta']).toBe(true);
  });

  it('takes an <smtp-user> source {auth} (as PowerMTA configs write it) as <source {auth}>', () => {
    const text = ['<source {auth}>', '  always-allow-relaying yes', '</source>', '<smtp-user carol>', '  password c', '  source {auth}', '</smtp-user>'].join('\n');
    const config = loadConfigText(text);
    expect(sourcePolicy(config, '192.0.2.1').settings['always-allow-relaying']).toBe(false);
    expect(sourcePolicy(config, '192.0.2.1', { authUser: 'carol' }).settings['always-allow-relaying']).toBe(true);
    expect(() => loadConfigText('<smtp-user carol>\n  password c\n  source {auth}\n</smtp-user>\n')).toThrow(/source "\{auth\}" names no named <source>/);
  });

  it('knows the listener that selects the named source', () => {
    expect(sources.listeners.map((l) => [l.name, l.source])).toEqual([
      ['0/0:25', undefined],
      ['127.0.0.1:2525', 'feeder'],
    ]);
  });
});

describe('virtual MTA and pool lookup', () => {
  it('picks pool members round robin, case-insensitively', () => {
    const selector = new VmtaSelector(sources);
    expect([1, 2, 3, 4, 5].map(() => selector.pick('POOL1'))).toEqual(['mta1', 'mta2', 'mta1', 'mta2', 'mta1']);
    expect(selector.pick('Mta2')).toBe('mta2');
    expect(selector.pick('nope')).toBeUndefined();
  });

  it('tells a VMTA from a pool', () => {
    expect(findVmtaOrPool(sources, 'mta1')?.kind).toBe('vmta');
    expect(findVmtaOrPool(sources, 'pool1')?.kind).toBe('pool');
  });

  it('finds the VMTA whose smtp-source-host is the address the client connected to', () => {
    expect(vmtaBySourceIp(sources, '127.0.0.2')?.name).toBe('mta1');
    expect(vmtaBySourceIp(sources, '10.9.0.77')?.name).toBe('mta2');
    expect(vmtaBySourceIp(sources, '127.0.0.1')).toBeUndefined();
  });

  it.each<[string, string, boolean]>([
    ['mta1', '127.0.0.2', true],
    ['MTA1', '127.0.0.2', true],
    ['mta2', '10.9.0.77', true],
    ['mta1', '10.9.0.77', false],
    ['nope', '127.0.0.2', false],
  ])('VMTA %s has source %s: %s', (vmta, ip, expected) => {
    expect(vmtaUsesSourceIp(sources, vmta, ip)).toBe(expected);
  });
});

describe('who our notices come from', () => {
  it.each<[string, { hostName: string; postmaster: string }]>([
    ['', { hostName: 'box', postmaster: 'postmaster@box' }],
    ['host-name mta.example.test', { hostName: 'mta.example.test', postmaster: 'postmaster@mta.example.test' }],
    ['host-name mta.example.test\npostmaster pm@example.test', { hostName: 'mta.example.test', postmaster: 'pm@example.test' }],
  ])('%j', (text, expected) => {
    expect(noticeSender(loadConfigText(text), 'box')).toEqual(expected);
  });
});
