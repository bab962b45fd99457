import { describe, expect, it } from 'vitest';
import { isCatchAll, parseRegex, parseValue, toRegExp, ValueError, valueTypes, type AddressOrRegex, type RegexValue } from './index.js';

const EXPECTED = 'expected /PATTERN/, case-insensitive unless it starts with (?-i); write \\x23 for #';

describe('regex', () => {
  it.each<[string, RegexValue]>([
    ['/^5\\.7\\.1/', { source: '^5\\.7\\.1', flags: 'i' }],
    ['/(?-i)^User Unknown/', { source: '^User Unknown', flags: '' }],
    ['/(?i)spam/', { source: 'spam', flags: 'i' }],
    ['/a b c/', { source: 'a b c', flags: 'i' }],
    ['/\\x23hash/', { source: '\\x23hash', flags: 'i' }],
    ['/a\\/b/', { source: 'a\\/b', flags: 'i' }],
    ['/say "hi"/', { source: 'say "hi"', flags: 'i' }],
  ])('parses %j', (raw, expected) => {
    expect(parseValue('regex', raw)).toEqual(expected);
  });

  it('reads a value starting with "/" from the raw text, so an unbalanced quote inside needs no escaping', () => {
    expect(valueTypes.regex.parse('/say "hi/', [])).toEqual({ source: 'say "hi', flags: 'i' });
    expect(valueTypes['address-or-regex'].parse('/"x/', [])).toEqual({ kind: 'regex', regex: { source: '"x', flags: 'i' } });
  });

  it.each<[string, string]>([
    ['/a(b/', `"/a(b/" is not a REGEX: Unterminated group (${EXPECTED})`],
    ['/[z-a]/', `"/[z-a]/" is not a REGEX: Range out of order in character class (${EXPECTED})`],
    ['/*x/', `"/*x/" is not a REGEX: Nothing to repeat (${EXPECTED})`],
    ['abc', `"abc" is not a REGEX: it must start and end with "/" (${EXPECTED})`],
    ['/abc', `"/abc" is not a REGEX: it must start and end with "/" (${EXPECTED})`],
    ['/', `"/" is not a REGEX: it must start and end with "/" (${EXPECTED})`],
    ['//', `"//" is not a REGEX: the pattern is empty: it would match everything (an empty // is a catch-all only in <bounce-category-patterns> and smtp-pattern-list reply lines) (${EXPECTED})`],
    ['/(?-i)/', `"/(?-i)/" is not a REGEX: the pattern is empty: it would match everything (an empty // is a catch-all only in <bounce-category-patterns> and smtp-pattern-list reply lines) (${EXPECTED})`],
  ])('rejects %j', (raw, message) => {
    expect(() => parseValue('regex', raw)).toThrow(ValueError);
    expect(() => parseValue('regex', raw)).toThrow(message);
  });
});

describe('toRegExp', () => {
  it.each<[string, string, boolean]>([
    ['/^5\\.7\\.1/', '5.7.1 blocked', true],
    ['/user unknown/', '550 USER UNKNOWN', true],
    ['/(?-i)user unknown/', '550 USER UNKNOWN', false],
    ['/(?-i)user unknown/', '550 user unknown', true],
    ['/\\x23hash/', 'a #hash here', true],
    ['/\\x23hash/', 'a hash here', false],
  ])('compiles %j so that it matches %j: %s', (raw, input, expected) => {
    expect(toRegExp(parseValue('regex', raw)).test(input)).toBe(expected);
  });

  it('returns the cached RegExp for an equal value', () => {
    const a = toRegExp({ source: 'abc', flags: 'i' });
    const b = toRegExp(JSON.parse(JSON.stringify({ source: 'abc', flags: 'i' })) as RegexValue);
    expect(b).toBe(a);
    expect(toRegExp({ source: 'abc', flags: '' })).not.toBe(a);
  });

  it('keeps working when more patterns are compiled than the cache holds', () => {
    for (let i = 0; i < 1000; i++) expect(toRegExp({ source: `x${i}`, flags: 'i' }).test(`X${i}`)).toBe(true);
  });
});

describe('address-or-regex', () => {
  it.each<[string, AddressOrRegex]>([
    ['bounce@bounce.yourdomain.com', { kind: 'address', address: 'bounce@bounce.yourdomain.com' }],
    ['Bounce@Bounce.YourDomain.com', { kind: 'address', address: 'Bounce@bounce.yourdomain.com' }],
    ['/^bounce-.*@example\\.com$/', { kind: 'regex', regex: { source: '^bounce-.*@example\\.com$', flags: 'i' } }],
    ['/(?-i)^Ops@/', { kind: 'regex', regex: { source: '^Ops@', flags: '' } }],
  ])('parses %j', (raw, expected) => {
    expect(parseValue('address-or-regex', raw)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['not-an-address', '"not-an-address" is not an ADDRESS-OR-REGEX (expected an e-mail address like user@example.com or a /REGEX/)'],
    ['/a(/', '"/a(/" is not a REGEX: Unterminated group'],
    ['a@b.com c@d.com', 'expected a single value but found spaces'],
  ])('rejects %j', (raw, message) => {
    expect(() => parseValue('address-or-regex', raw)).toThrow(message);
  });

  it.each<[string, { source: string; flags: string }]>([
    ['//', { source: '', flags: 'i' }],
    ['/(?-i)/', { source: '', flags: '' }],
    ['/(?i)/', { source: '', flags: 'i' }],
    ['/x/', { source: 'x', flags: 'i' }],
  ])('takes %j where an empty pattern is the catch-all (allowEmpty)', (text, expected) => {
    const value = parseRegex(text, { allowEmpty: true });
    expect(value).toEqual(expected);
    expect(isCatchAll(value)).toBe(expected.source === '');
    if (isCatchAll(value)) expect(toRegExp(value).test('550 5.1.1 anything at all')).toBe(true);
  });

  it.each(['//', '/(?-i)/', '/(?i)/'])('refuses %j as relay-address: it would make an open relay', (raw) => {
    expect(() => parseValue('address-or-regex', raw)).toThrow(/would make an open relay/);
  });
});
