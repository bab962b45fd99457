import { describe, expect, it } from 'vitest';
import { parseValue, ValueError, type CertificateValue, type DomainKey, type HttpAccess } from './index.js';

describe('domain-key', () => {
  it.each<[string, DomainKey]>([
    ['s1,example.com,/etc/vmta/s1.pem', { selector: 's1', domain: 'example.com', keyFile: '/etc/vmta/s1.pem' }],
    ['s1,*,/etc/vmta/any.pem', { selector: 's1', domain: '*', keyFile: '/etc/vmta/any.pem' }],
    ['Sel-2024.a, Example.COM , keys/k.pem', { selector: 'Sel-2024.a', domain: 'example.com', keyFile: 'keys/k.pem' }],
    ['s1,example.com,"/etc/my keys/s1.pem"', { selector: 's1', domain: 'example.com', keyFile: '/etc/my keys/s1.pem' }],
    ['"s1,example.com,/etc/my keys/s1.pem"', { selector: 's1', domain: 'example.com', keyFile: '/etc/my keys/s1.pem' }],
  ])('parses %j', (raw, expected) => {
    expect(parseValue('domain-key', raw)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['s1,example.com', '"s1,example.com" is not a DOMAIN-KEY: expected three comma-separated parts (expected SELECTOR,DOMAIN-or-*,KEYFILE, e.g. s1,example.com,/etc/vmta/s1.example.com.pem)'],
    [',example.com,/k.pem', '"" is not a valid selector'],
    ['s 1,example.com,/k.pem', '"s 1" is not a valid selector'],
    ['s1,*.example.com,/k.pem', '"*.example.com" is not a domain name or *'],
    ['s1,example.com,', 'the key file is missing'],
  ])('rejects %j', (raw, message) => {
    expect(() => parseValue('domain-key', raw)).toThrow(ValueError);
    expect(() => parseValue('domain-key', raw)).toThrow(message);
  });
});

describe('http-access', () => {
  it.each<[string, HttpAccess]>([
    ['127.0.0.1 admin', { cidr: { text: '127.0.0.1', address: '127.0.0.1', prefix: 32, family: 4, any: false }, level: 'admin' }],
    ['0/0 none', { cidr: { text: '0/0', address: '0.0.0.0', prefix: 0, family: 4, any: true }, level: 'none' }],
    ['10/8 Monitor', { cidr: { text: '10/8', address: '10.0.0.0', prefix: 8, family: 4, any: false }, level: 'monitor' }],
    ['::1 operator', { cidr: { text: '::1', address: '::1', prefix: 128, family: 6, any: false }, level: 'operator' }],
    // PowerMTA §3.3.1.36.3: http-access CIDR { monitor[,deny-logs] | operator | admin | none }
    ['10/8 monitor,deny-logs', { cidr: { text: '10/8', address: '10.0.0.0', prefix: 8, family: 4, any: false }, level: 'monitor', denyLogs: true }],
  ])('parses %j', (raw, expected) => {
    expect(parseValue('http-access', raw)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['127.0.0.1', '"127.0.0.1" is not an HTTP-ACCESS: expected a CIDR and an access level (expected CIDR {none|monitor[,deny-logs]|operator|admin}, e.g. 127.0.0.1 admin)'],
    ['127.0.0.1 root', 'unknown access level "root"'],
    ['127.0.0.1 admin,deny-logs', 'unknown access level "admin,deny-logs"'],
    ['127.0.0.1 monitor,deny-log', 'unknown access level "monitor,deny-log"'],
    ['127.0.0.1 admin extra', 'expected a CIDR and an access level'],
    ['localhost admin', '"localhost" is not a CIDR'],
  ])('rejects %j', (raw, message) => {
    expect(() => parseValue('http-access', raw)).toThrow(message);
  });
});

describe('certificate', () => {
  it.each<[string, CertificateValue]>([
    ['/etc/vmta/server.pem', { file: '/etc/vmta/server.pem' }],
    ['/etc/vmta/server.pem secret', { file: '/etc/vmta/server.pem', password: 'secret' }],
    ['"/etc/my certs/server.pem" "pass word"', { file: '/etc/my certs/server.pem', password: 'pass word' }],
  ])('parses %j', (raw, expected) => {
    expect(parseValue('certificate', raw)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['a.pem pass extra', '"a.pem pass extra" is not a CERTIFICATE: expected a file name and an optional password (expected FILE [PASSWORD])'],
    ['"" pass', 'expected a file name and an optional password'],
  ])('rejects %j', (raw, message) => {
    expect(() => parseValue('certificate', raw)).toThrow(message);
  });
});
