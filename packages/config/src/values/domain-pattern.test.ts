import { describe, expect, it } from 'vitest';
import {
  domainMatches,
  domainSpecificity,
  parseDomainPattern,
  parseValue,
  ValueError,
  type DomainPattern,
} from './index.js';

const pat = (text: string): DomainPattern => parseDomainPattern(text);

describe('domain-pattern', () => {
  it.each<[string, Omit<DomainPattern, 'text'>]>([
    ['*', { kind: 'any', base: '' }],
    ['example.com', { kind: 'exact', base: 'example.com' }],
    ['Example.COM.', { kind: 'exact', base: 'example.com' }],
    ['*.example.com', { kind: 'subdomains', base: 'example.com' }],
    ['[*.]example.com', { kind: 'domain-and-subdomains', base: 'example.com' }],
    ['[*.]EXAMPLE.com', { kind: 'domain-and-subdomains', base: 'example.com' }],
    ['bücher.de', { kind: 'exact', base: 'xn--bcher-kva.de' }],
    ['localhost', { kind: 'exact', base: 'localhost' }],
    [
      '[10.0.0.0/8]',
      {
        kind: 'address-literal',
        base: '10.0.0.0/8',
        cidr: { text: '10.0.0.0/8', address: '10.0.0.0', prefix: 8, family: 4, any: false },
      },
    ],
    [
      '[1.2.3.4]',
      {
        kind: 'address-literal',
        base: '1.2.3.4/32',
        cidr: { text: '1.2.3.4', address: '1.2.3.4', prefix: 32, family: 4, any: false },
      },
    ],
    [
      '[IPv6:2001:db8::/32]',
      {
        kind: 'address-literal',
        base: '2001:db8::/32',
        cidr: { text: '2001:db8::/32', address: '2001:db8::', prefix: 32, family: 6, any: false },
      },
    ],
  ])('parses %j', (text, expected) => {
    expect(parseValue('domain-pattern', text)).toEqual({ text, ...expected });
  });

  const EXPECTED =
    'expected *, example.com, *.example.com (subdomains), [*.]example.com (domain and subdomains) or an address literal like [10.0.0.0/8]';
  it.each<[string, string]>([
    ['exa*mple.com', `"exa*mple.com" is not a DOMAIN-PATTERN: "*" is only allowed as *, *.domain or [*.]domain (${EXPECTED})`],
    ['**.example.com', '"*" is only allowed as *, *.domain or [*.]domain'],
    ['*.', `"*." is not a DOMAIN-PATTERN (${EXPECTED})`],
    ['[*.]', `"[*.]" is not a DOMAIN-PATTERN (${EXPECTED})`],
    ['example..com', `"example..com" is not a DOMAIN-PATTERN (${EXPECTED})`],
    ['[10.0.0.0/8', 'missing "]"'],
    ['[10.0.0.300]', '"10.0.0.300" is not an IP address or CIDR'],
    ['[IPv6:1.2.3.4]', 'IPv6: must be followed by an IPv6 address'],
    ['example.com other.com', 'expected a single value but found spaces'],
  ])('rejects %j', (text, message) => {
    expect(() => parseValue('domain-pattern', text)).toThrow(ValueError);
    expect(() => parseValue('domain-pattern', text)).toThrow(message);
  });
});

describe('domainMatches', () => {
  it.each<[string, string, boolean]>([
    ['*', 'example.com', true],
    ['*', '[1.2.3.4]', true],
    ['example.com', 'example.com', true],
    ['example.com', 'EXAMPLE.com.', true],
    ['example.com', 'a.example.com', false],
    ['example.com', 'badexample.com', false],
    ['*.example.com', 'a.example.com', true],
    ['*.example.com', 'a.b.Example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'badexample.com', false],
    ['[*.]example.com', 'example.com', true],
    ['[*.]example.com', 'a.b.example.com.', true],
    ['[*.]example.com', 'notexample.com', false],
    ['bücher.de', 'xn--bcher-kva.de', true],
    ['xn--bcher-kva.de', 'BÜCHER.de', true],
    ['[10.0.0.0/8]', '[10.1.2.3]', true],
    ['[10.0.0.0/8]', '[11.1.2.3]', false],
    ['[10.0.0.0/8]', '10.1.2.3', false],
    ['[1.2.3.4]', '[1.2.3.4]', true],
    ['[1.2.3.4]', '[IPv6:::ffff:1.2.3.4]', true],
    ['[2001:db8::/32]', '[IPv6:2001:db8::25]', true],
    ['[IPv6:2001:db8::/32]', '[ipv6:2001:DB8::25]', true],
    ['[2001:db8::/32]', '[IPv6:2001:db9::25]', false],
    ['[0/0]', '[IPv6:::1]', true],
    ['[0/0]', 'example.com', false],
  ])('%s matches %j: %s', (pattern, domain, expected) => {
    expect(domainMatches(pat(pattern), domain)).toBe(expected);
  });
});

describe('domainSpecificity', () => {
  it('sorts the patterns matching a.b.example.com from general to specific', () => {
    const texts = [
      'a.b.example.com',
      '*',
      '*.b.example.com',
      '[*.]example.com',
      '[*.]a.b.example.com',
      '*.example.com',
      '[*.]b.example.com',
      '[*.]com',
      '*.com',
    ];
    const patterns = texts.map(pat);
    expect(patterns.every((p) => domainMatches(p, 'a.b.example.com'))).toBe(true);
    const sorted = [...patterns].sort((x, y) => domainSpecificity(x) - domainSpecificity(y)).map((p) => p.text);
    expect(sorted).toEqual([
      '*',
      '[*.]com',
      '*.com',
      '[*.]example.com',
      '*.example.com',
      '[*.]b.example.com',
      '*.b.example.com',
      '[*.]a.b.example.com',
      'a.b.example.com',
    ]);
  });

  it('sorts the patterns matching an address literal by prefix length', () => {
    const texts = ['[10.1.2.3]', '*', '[10.0.0.0/8]', '[0/0]', '[10.1.0.0/16]'];
    const patterns = texts.map(pat);
    expect(patterns.every((p) => domainMatches(p, '[10.1.2.3]'))).toBe(true);
    const sorted = [...patterns].sort((x, y) => domainSpecificity(x) - domainSpecificity(y)).map((p) => p.text);
    expect(sorted).toEqual(['*', '[0/0]', '[10.0.0.0/8]', '[10.1.0.0/16]', '[10.1.2.3]']);
  });

  it.each<[string, string]>([
    ['*', '[*.]example.com'],
    ['[*.]example.com', '*.example.com'],
    ['*.example.com', 'example.com'],
    ['example.com', '[*.]a.example.com'],
    ['*', '[0/0]'],
    ['[10.0.0.0/8]', '[10.0.0.0/9]'],
  ])('ranks %j below %j', (general, specific) => {
    expect(domainSpecificity(pat(general))).toBeLessThan(domainSpecificity(pat(specific)));
  });
});
