import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkConfigFile, domainPolicy, loadConfigFile, sourcePolicy, DEFAULT_VMTA, toRegExp } from './index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const seed = path.join(root, 'test/fixtures/powermta-seed.conf');

describe('the PowerMTA seed configuration', () => {
  const config = loadConfigFile(seed);

  it('loads without errors or warnings', () => {
    expect(config.warnings).toEqual([]);
  });

  it('has both smtp-listener lines: all addresses and 10.0.1.22', () => {
    expect(config.listeners.map((l) => [l.address.address, l.address.port, l.address.any])).toEqual([
      ['0.0.0.0', 25, true],
      ['10.0.1.22', 25, false],
    ]);
    expect(config.listeners[0]!.tlsCertificate).toEqual({ file: '/etc/pmta/yourcert.pem' });
  });

  it('has the smtp-user foo with its password', () => {
    expect(config.users.foo?.settings).toEqual({ password: 'barbaz', 'authentication-method': 'password' });
  });

  it('merges the two <source 0/0> stanzas: auth required, STARTTLS offered and required before AUTH', () => {
    const p = sourcePolicy(config, '198.51.100.7').settings;
    expect(p['require-auth']).toBe(true);
    expect(p['allow-starttls']).toBe(true);
    expect(p['require-starttls-before-auth']).toBe(true);
    expect(p['always-allow-relaying']).toBe(false);
  });

  it('lets the feeder 10.0.5.20 relay, inheriting the 0/0 settings', () => {
    const p = sourcePolicy(config, '10.0.5.20');
    expect(p.settings['always-allow-relaying']).toBe(true);
    expect(p.settings['require-auth']).toBe(true);
    expect(p.origins['always-allow-relaying']).toEqual({ file: seed, line: 17 });
    expect(sourcePolicy(config, '::ffff:10.0.5.20').settings['always-allow-relaying']).toBe(true);
    expect(sourcePolicy(config, '10.0.5.21').settings['always-allow-relaying']).toBe(false);
  });

  it('reads the relay domain and both relay addresses, the regex case-insensitive', () => {
    const g = config.global.settings;
    expect(g['relay-domain']?.map((d) => d.text)).toEqual(['some.domain']);
    const [plain, regex] = g['relay-address']!;
    expect(plain).toEqual({ kind: 'address', address: 'bounce@bounce.yourdomain.com' });
    expect(regex!.kind).toBe('regex');
    if (regex!.kind !== 'regex') return;
    expect(toRegExp(regex!.regex).test('someone@FOOBAR.com')).toBe(true);
    expect(toRegExp(regex!.regex).test('someone@foo.com')).toBe(true);
    expect(toRegExp(regex!.regex).test('someone@foobar.com.evil')).toBe(false);
  });

  it('requires STARTTLS for every domain of the default VMTA with the default retry-after', () => {
    const p = domainPolicy(config, 'gmail.com', DEFAULT_VMTA);
    expect(p.settings['use-starttls']).toBe(true);
    expect(p.settings['require-starttls']).toBe(true);
    expect(p.settings['retry-after']).toEqual([10 * 60_000]);
  });

  it('gives mta1 its own <domain *>: TLS required, retry after 10m', () => {
    const p = domainPolicy(config, 'gmail.com', 'mta1');
    expect(p.settings['require-starttls']).toBe(true);
    expect(p.settings['retry-after']).toEqual([10 * 60_000]);
    expect(p.origins['retry-after']).toEqual({ file: seed, line: 45 });
  });

  it('lets mta2 override the top-level <domain *>: no STARTTLS, retry after 45m', () => {
    const p = domainPolicy(config, 'yahoo.com', 'mta2');
    expect(p.settings['use-starttls']).toBe(false);
    expect(p.settings['require-starttls']).toBe(false);
    expect(p.settings['retry-after']).toEqual([45 * 60_000]);
    expect(p.settings['bounce-after']).toBe((4 * 24 + 12) * 3_600_000);
  });

  it('keeps the source hosts of the default VMTA, mta1 and mta2', () => {
    expect(config.global.settings['smtp-source-host']?.map((h) => [h.cidr.address, h.hostName])).toEqual([
      ['192.168.0.10', 'mail10.yourserver.com'],
    ]);
    expect(config.vmtas.mta1?.settings['smtp-source-host']?.[0]?.hostName).toBe('mta1.yourserver.com');
    expect(config.vmtas.mta2?.settings['smtp-source-host']?.[0]?.cidr.address).toBe('2.3.4.5');
  });
});

describe('every configuration in the shared fixtures directory', () => {
  const dir = path.resolve(root, '../shared/fixtures');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.conf')) : [];
  if (files.length === 0) it.skip(`${dir} is not present on this machine`, () => {});
  else
    it.each(files)('%s loads without errors', (f) => {
      const result = checkConfigFile(path.join(dir, f));
      expect(result.errors).toEqual([]);
    });
});
