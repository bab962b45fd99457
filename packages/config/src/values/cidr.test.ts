import { describe, expect, it } from 'vitest';
import { cidrContains, isCidrValue, parseCidr, parseValue, ValueError, type CidrValue } from './index.js';

const cidr = (text: string): CidrValue => parseCidr(text);

describe('cidr', () => {
  it.each<[string, Omit<CidrValue, 'text'>]>([
    ['0/0', { address: '0.0.0.0', prefix: 0, family: 4, any: true }],
    ['10.0.5.20', { address: '10.0.5.20', prefix: 32, family: 4, any: false }],
    ['10.0.0.0/8', { address: '10.0.0.0', prefix: 8, family: 4, any: false }],
    ['10/8', { address: '10.0.0.0', prefix: 8, family: 4, any: false }],
    ['10.1/16', { address: '10.1.0.0', prefix: 16, family: 4, any: false }],
    ['192.168.7/24', { address: '192.168.7.0', prefix: 24, family: 4, any: false }],
    ['10.0.5.1/24', { address: '10.0.5.0', prefix: 24, family: 4, any: false }],
    ['10.0.5.255/30', { address: '10.0.5.252', prefix: 30, family: 4, any: false }],
    ['0.0.0.0/0', { address: '0.0.0.0', prefix: 0, family: 4, any: false }],
    ['::1', { address: '::1', prefix: 128, family: 6, any: false }],
    ['::/0', { address: '::', prefix: 0, family: 6, any: false }],
    ['2001:db8::/32', { address: '2001:db8::', prefix: 32, family: 6, any: false }],
    ['2001:DB8:0:0:1::5/64', { address: '2001:db8::', prefix: 64, family: 6, any: false }],
    ['2001:db8:abcd:1234::1/36', { address: '2001:db8:a000::', prefix: 36, family: 6, any: false }],
    ['::ffff:10.1.2.3', { address: '::ffff:10.1.2.3', prefix: 128, family: 6, any: false }],
  ])('parses %j', (text, expected) => {
    expect(parseValue('cidr', text)).toEqual({ text, ...expected });
  });

  const EXPECTED = 'expected an IP address or CIDR, e.g. 10.0.5.20, 10.0.0.0/8, 10/8, 2001:db8::/32 or 0/0 (all addresses)';
  it.each<[string, string]>([
    ['10.0.0.256', `"10.0.0.256" is not a CIDR: "10.0.0.256" is not a valid IPv4 address (${EXPECTED})`],
    ['10.0.0.0/33', `"10.0.0.0/33" is not a CIDR: the prefix length must be a number from 0 to 32 (${EXPECTED})`],
    ['10.0.0.0/', 'the prefix length must be a number from 0 to 32'],
    ['10.0.0.0/x', 'the prefix length must be a number from 0 to 32'],
    ['2001:db8::/129', 'the prefix length must be a number from 0 to 128'],
    ['10.1', '"10.1" is not a CIDR: short forms like 10/8 need a prefix length'],
    ['010.0.0.1', '"010.0.0.1" is not a valid IPv4 address'],
    ['10.0.0.1.5/8', '"10.0.0.1.5" is not a valid IPv4 address'],
    ['/8', '"" is not a valid IPv4 address'],
    ['example.com', '"example.com" is not a valid IPv4 address'],
    ['2001:db8::g', '"2001:db8::g" is not a valid IPv6 address'],
    ['fe80::1%eth0', '"fe80::1%eth0" is not a valid IPv6 address'],
    ['10.0.0.0/8 extra', 'expected a single value but found spaces'],
  ])('rejects %j', (text, message) => {
    expect(() => parseValue('cidr', text)).toThrow(ValueError);
    expect(() => parseValue('cidr', text)).toThrow(message);
  });
});

describe('cidrContains', () => {
  it.each<[string, string, boolean]>([
    ['0/0', '1.2.3.4', true],
    ['0/0', '::1', true],
    ['0/0', '2001:db8::1', true],
    ['0/0', '::ffff:1.2.3.4', true],
    ['0/0', 'not-an-ip', false],
    ['0.0.0.0/0', '1.2.3.4', true],
    ['0.0.0.0/0', '::1', false],
    ['::/0', '2001:db8::1', true],
    ['::/0', '1.2.3.4', false],
    ['::/0', '::ffff:1.2.3.4', false],
    ['10.0.0.0/8', '10.200.3.4', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['10.0.0.0/8', '::ffff:10.1.2.3', true],
    ['10.0.0.0/8', '::FFFF:10.1.2.3', true],
    ['10.0.0.0/8', '::ffff:11.1.2.3', false],
    ['10.0.0.0/8', '::1', false],
    ['10/8', '10.9.9.9', true],
    ['10.0.5.20', '10.0.5.20', true],
    ['10.0.5.20', '10.0.5.21', false],
    ['10.0.5.20', '::ffff:10.0.5.20', true],
    ['127.0.0.1', '[127.0.0.1]', true],
    ['::1', '::1', true],
    ['::1', '0:0:0:0:0:0:0:1', true],
    ['::1', '127.0.0.1', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['fe80::/10', 'fe80::1%eth0', true],
    ['::ffff:10.0.0.0/104', '10.1.2.3', true],
    ['10.0.0.0/8', '', false],
    ['10.0.0.0/8', '10.1', false],
  ])('%s contains %j: %s', (text, ip, expected) => {
    expect(cidrContains(cidr(text), ip)).toBe(expected);
  });
});

describe('isCidrValue', () => {
  it.each<[unknown, boolean]>([
    [parseCidr('10/8'), true],
    [parseCidr('::1'), true],
    [JSON.parse(JSON.stringify(parseCidr('0/0'))), true],
    [{ text: '10/8', address: '10.0.0.0', prefix: 8, family: 5, any: false }, false],
    [{ text: '10/8', address: '10.0.0.0', prefix: '8', family: 4, any: false }, false],
    ['10/8', false],
    [null, false],
    [undefined, false],
  ])('recognizes %j: %s', (value, expected) => {
    expect(isCidrValue(value)).toBe(expected);
  });
});
