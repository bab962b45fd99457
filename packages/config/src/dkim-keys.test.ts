import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfigText, DkimKeyError, domainKeysFor, loadConfigText, readDomainKey } from './index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vmta-dkim-keys-'));
function key(name: string, kind: 'rsa' | 'ed25519' | 'ec', bits = 2048): string {
  const file = path.join(dir, `${name}.pem`);
  const pair =
    kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: bits }) : kind === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  writeFileSync(file, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return file;
}

describe('domain-key files are checked at load (and so at reload) with file:line', () => {
  it('accepts RSA 2048 and Ed25519 keys, a relative path taken from the config file directory', () => {
    key('good', 'rsa');
    const ed = key('ed', 'ed25519');
    const r = checkConfigText(['domain-key s1,example.com,good.pem', '<virtual-mta m1>', `  domain-key s2,*,${ed}`, '</virtual-mta>'].join('\n'), path.join(dir, 'vmta.conf'));
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it.each([
    ['a missing file', () => path.join(dir, 'nope.pem'), 'error', /does not exist/],
    ['a file that holds no key', () => (writeFileSync(path.join(dir, 'junk.pem'), 'hello'), path.join(dir, 'junk.pem')), 'error', /holds no private key/],
    ['a public key', () => (writeFileSync(path.join(dir, 'pub.pem'), generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' })), path.join(dir, 'pub.pem')), 'error', /holds no private key/],
    ['an EC key', () => key('ec', 'ec'), 'error', /holds a ec key; DKIM signs with RSA or Ed25519/],
    ['an RSA key under 1024 bits', () => key('short', 'rsa', 768), 'error', /RSA key of 768 bits; verifiers refuse keys under 1024 bits/],
    ['an RSA key under 2048 bits', () => key('weak', 'rsa', 1024), 'warning', /RSA key of 1024 bits; use 2048 bits or more/],
  ] as const)('reports %s', (_what, make, severity, message) => {
    const file = make();
    const r = checkConfigText(['# keys', '<virtual-mta m1>', `  domain-key s1,example.com,${file}`, '</virtual-mta>'].join('\n'), path.join(dir, 'vmta.conf'));
    const list = severity === 'error' ? r.errors : r.warnings;
    expect(list).toEqual([expect.objectContaining({ severity, code: 'CONFIG_DKIM_KEY', file: path.join(dir, 'vmta.conf'), line: 3, message: expect.stringMatching(message) })]);
    expect(r.config === undefined).toBe(severity === 'error');
  });

  it('reports an unreadable file', () => {
    if (process.getuid?.() === 0) return; // root reads any file
    const file = key('locked', 'rsa');
    chmodSync(file, 0);
    expect(() => readDomainKey(file)).toThrow(DkimKeyError);
  });

  it('throws DkimKeyError with a stable code', () => {
    expect(() => readDomainKey(path.join(dir, 'nope.pem'))).toThrow(expect.objectContaining({ code: 'DKIM_KEY_UNREADABLE', name: 'DkimKeyError' }));
    expect(() => readDomainKey(key('short2', 'rsa', 512))).toThrow(expect.objectContaining({ code: 'DKIM_KEY_TOO_SHORT' }));
  });
});

describe('dkim-* directives', () => {
  it.each([
    'dkim-add-body-limit yes',
    'dkim-add-timestamp yes',
    'dkim-algorithm rsa-sha1',
    'dkim-expire-after 1d',
    'dkim-query-method dns/txt',
    'dkim-identity-fallback @esp.example',
    'dkim-disallow-adding-headers from,to',
  ])('%s: a "not applied yet" warning with file:line', (line) => {
    const r = checkConfigText(['<domain hotmail.com>', `  ${line}`, '</domain>'].join('\n'));
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([expect.objectContaining({ line: 2, file: 'vmta.conf', message: expect.stringContaining('not applied yet') })]);
  });

  it('applies dkim-sign, dkim-identity, dkim-headers and the canonicalizations (no warning), and warns of a header that is never signed', () => {
    const r = checkConfigText(
      ['<domain x.test>', '  dkim-sign if-x-dkim-options-present', '  dkim-identity @esp.example', '  dkim-headers X-Campaign, Received, /^x-/', '  dkim-headers-canon simple', '  dkim-body-canon relaxed', '</domain>'].join('\n'),
    );
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([expect.objectContaining({ line: 4, message: 'dkim-headers: received is never signed (RFC 6376 §5.4); ignored' })]);
  });

  it('refuses a bad value with file:line', () => {
    const r = checkConfigText(['<domain x.test>', '  dkim-body-canon nofws', '  dkim-sign maybe', '</domain>'].join('\n'));
    expect(r.errors.map((e) => e.line)).toEqual([2, 3]);
  });
});

describe('domainKeysFor', () => {
  it("lists the VMTA's keys, then its pool's, then the global ones, each in file order", () => {
    const k = key('order', 'ed25519');
    const c = loadConfigText(
      [
        'domain-key g1,*,/k/g1.pem',
        '<virtual-mta m1>',
        '  domain-key v1,a.example,/k/v1.pem',
        '  domain-key v2,b.example,/k/v2.pem',
        '</virtual-mta>',
        '<virtual-mta-pool p1>',
        '  virtual-mta m1',
        '  domain-key p1,a.example,/k/p1.pem',
        '</virtual-mta-pool>',
        'domain-key g2,a.example,/k/g2.pem',
      ]
        .join('\n')
        .replaceAll(/\/k\/\w+\.pem/g, k),
    );
    expect(domainKeysFor(c, 'M1', 'p1').map((k) => [k.selector, k.scope])).toEqual([
      ['v1', 'virtual-mta'],
      ['v2', 'virtual-mta'],
      ['p1', 'virtual-mta-pool'],
      ['g1', 'global'],
      ['g2', 'global'],
    ]);
    expect(domainKeysFor(c, '{default}').map((k) => k.selector)).toEqual(['g1', 'g2']);
  });
});
