import os from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import { loadConfigText } from '@vmta/config';
import { isLocalAddress, localSourceAddresses, selectSource, servableVmtas, stableHash, vmtaSources } from './select-source.js';

const config = loadConfigText(
  [
    'host-name greet.example.com',
    'smtp-source-host 127.0.0.2 default.example.com',
    '<virtual-mta one>',
    '  smtp-source-host 127.0.0.3 a.example.com',
    '  smtp-source-host 127.0.0.4 b.example.com',
    '  smtp-source-host 127.0.0.5 c.example.com',
    '</virtual-mta>',
    '<virtual-mta named>',
    '  smtp-source-host 127.0.0.6 ignored.example.com',
    '  host-name vmta.example.com',
    '</virtual-mta>',
    '<virtual-mta remote>',
    '  smtp-source-host 192.0.2.7 remote.example.com',
    '</virtual-mta>',
    '<virtual-mta ranged>',
    '  smtp-source-host 10.9.0.0/24 range.example.com',
    '</virtual-mta>',
    '<virtual-mta anywhere>',
    '  smtp-source-host 0/0 any.example.com',
    '</virtual-mta>',
  ].join('\n'),
);

describe('selectSource', () => {
  it('uses the global smtp-source-host for {default}, with its EHLO name', () => {
    expect(selectSource(config, '{default}', 'x@example.org')).toEqual({ ip: '127.0.0.2', hostName: 'default.example.com' });
  });

  it('gives the same source to the same recipient every time, whatever its case', () => {
    const first = selectSource(config, 'one', 'Someone@Example.org');
    for (let i = 0; i < 5; i++) expect(selectSource(config, 'ONE', 'someone@example.org')).toEqual(first);
  });

  it('spreads recipients over all sources of the VMTA', () => {
    const ips = new Set(Array.from({ length: 60 }, (_, i) => selectSource(config, 'one', `user${i}@example.org`).ip));
    expect([...ips].sort()).toEqual(['127.0.0.3', '127.0.0.4', '127.0.0.5']);
  });

  it("lets the VMTA's host-name override the EHLO name of the source line", () => {
    expect(selectSource(config, 'named', 'x@example.org')).toEqual({ ip: '127.0.0.6', hostName: 'vmta.example.com' });
  });

  it('leaves the address to the OS for 0/0', () => {
    expect(selectSource(config, 'anywhere', 'x@example.org')).toEqual({ hostName: 'any.example.com' });
  });

  it('refuses an unknown VMTA and one with only ranges, by code', () => {
    expect(() => selectSource(config, 'nope', 'x@example.org')).toThrow(expect.objectContaining({ code: 'SOURCE_UNKNOWN_VMTA' }));
    expect(() => selectSource(config, 'ranged', 'x@example.org')).toThrow(expect.objectContaining({ code: 'SOURCE_NONE' }));
  });

  it('leaves disabled sources out, spreading their recipients over the others, and refuses when all are disabled', () => {
    const recipients = Array.from({ length: 30 }, (_, i) => `r${i}@example.org`);
    const disabled = new Set(['127.0.0.4']);
    const before = recipients.map((r) => selectSource(config, 'one', r).ip);
    const after = recipients.map((r) => selectSource(config, 'one', r, { disabled }).ip);
    expect(before).toContain('127.0.0.4');
    expect(new Set(after)).toEqual(new Set(['127.0.0.3', '127.0.0.5']));
    expect(() => selectSource(config, 'one', 'x@example.org', { disabled: new Set(['127.0.0.3', '127.0.0.4', '127.0.0.5']) })).toThrow(
      expect.objectContaining({ code: 'SOURCE_DISABLED' }),
    );
    // 0/0 has no IP to disable.
    expect(selectSource(config, 'anywhere', 'x@example.org', { disabled: new Set(['127.0.0.1']) }).ip).toBeUndefined();
  });

  it('only uses local sources when told the local addresses', () => {
    expect(() => selectSource(config, 'remote', 'x@example.org', { localIps: new Set(['10.0.0.1']) })).toThrow(
      expect.objectContaining({ code: 'SOURCE_NONE' }),
    );
    expect(selectSource(config, 'remote', 'x@example.org', { localIps: new Set(['192.0.2.7']) }).ip).toBe('192.0.2.7');
  });

  it("reads a VMTA's source lines and the host name once per config, not per message; another config or local set reads them again", () => {
    const hostName = vi.spyOn(os, 'hostname');
    try {
      const fresh = loadConfigText('smtp-source-host 127.0.0.2 default.example.com\n<virtual-mta one>\n  smtp-source-host 127.0.0.3 a.example.com\n</virtual-mta>');
      const local = new Set(['127.0.0.1']);
      for (let i = 0; i < 5; i++) expect(selectSource(fresh, 'one', `r${i}@example.org`, { localIps: local }).ip).toBe('127.0.0.3');
      expect(hostName).toHaveBeenCalledTimes(1);
      // Other local addresses: the filter is made again (a source that is not local is left out).
      expect(() => selectSource(fresh, 'one', 'x@example.org', { localIps: new Set(['10.0.0.1']) })).toThrow(expect.objectContaining({ code: 'SOURCE_NONE' }));
      // A reload is a new config: its lines (and the host name) are read again.
      const reloaded = loadConfigText('smtp-source-host 127.0.0.2 default.example.com\n<virtual-mta one>\n  smtp-source-host 127.0.0.9 b.example.com\n</virtual-mta>');
      expect(selectSource(reloaded, 'ONE', 'x@example.org', { localIps: local })).toEqual({ ip: '127.0.0.9', hostName: 'b.example.com' });
      expect(hostName).toHaveBeenCalledTimes(3);
    } finally {
      hostName.mockRestore();
    }
  });

  it('falls back to the global host-name when {default} has no smtp-source-host', () => {
    const bare = loadConfigText('host-name greet.example.com');
    expect(vmtaSources(bare, '{default}').sources).toEqual([{ hostName: 'greet.example.com' }]);
  });
});

describe('stableHash', () => {
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('FNV-1a of %j is %i', (text, hash) => {
    expect(stableHash(text)).toBe(hash);
  });
});

describe('servableVmtas', () => {
  it.each([
    ['127.0.0.9', true],
    ['127.200.1.1', true],
    ['::ffff:127.0.0.5', true],
    ['10.0.0.1', true],
    ['10.0.0.2', false],
    ['fe80::1', true],
  ])('isLocalAddress(%s) with 127.0.0.1, 10.0.0.1 and fe80::1%%eth0 on the interfaces is %s', (ip, expected) => {
    const local = localSourceAddresses({
      lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
      eth0: [
        { address: '10.0.0.1', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '10.0.0.1/24' },
        { address: 'fe80::1%eth0', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: 'fe80::1/64', scopeid: 2 },
      ],
    });
    expect(isLocalAddress(ip, local)).toBe(expected);
  });

  it.each([
    ['127.0.0.2', true],
    ['127.0.0.3', false],
  ])('isLocalAddress(%s) on a host whose only address is 127.0.0.2 (no loopback /8) is %s', (ip, expected) => {
    expect(isLocalAddress(ip, new Set(['127.0.0.2']))).toBe(expected);
  });

  it('serves the VMTAs whose sources are local (any 127.x) and says why it skips the others', () => {
    const result = servableVmtas(config, new Set(['127.0.0.1']));
    expect(result.servable.map((s) => s.vmta)).toEqual(['{default}', 'one', 'named', 'anywhere']);
    expect(result.skipped).toEqual([
      { vmta: 'remote', reason: 'no smtp-source-host on a local interface (192.0.2.7)' },
      { vmta: 'ranged', reason: 'no bindable smtp-source-host (10.9.0.0/24 range.example.com)' },
    ]);
  });
});
