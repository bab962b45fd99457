import { describe, expect, it } from 'vitest';
import { parseValue, ValueError, type ListenerAddress, type ListenerSpec } from './index.js';

describe('listener-address', () => {
  it.each<[string, Omit<ListenerAddress, 'text'>]>([
    ['0/0:25', { address: '0.0.0.0', port: 25, any: true }],
    ['10.0.1.22:25', { address: '10.0.1.22', port: 25, any: false }],
    ['127.0.0.1:2525', { address: '127.0.0.1', port: 2525, any: false }],
    ['0.0.0.0:587', { address: '0.0.0.0', port: 587, any: true }],
    ['10.0.1.22/32:25', { address: '10.0.1.22', port: 25, any: false }],
    ['[::1]:25', { address: '::1', port: 25, any: false }],
    ['[::/0]:25', { address: '::', port: 25, any: true }],
    ['[::]:465', { address: '::', port: 465, any: true }],
    ['[2001:DB8::1]:25', { address: '2001:db8::1', port: 25, any: false }],
    ['127.0.0.1:0', { address: '127.0.0.1', port: 0, any: false }],
  ])('parses %j', (text, expected) => {
    expect(parseValue('listener-address', text)).toEqual({ text, ...expected });
  });

  it.each<[string, string]>([
    ['0/0', '"0/0" is not a LISTENER-ADDRESS: missing ":PORT" (expected ADDRESS:PORT, e.g. 0/0:25 (all addresses), 10.0.1.22:25 or [::1]:25)'],
    ['::1:25', 'write IPv6 addresses in brackets, e.g. [::1]:25'],
    ['[::1]25', 'missing ":PORT" after the address'],
    ['[::1:25', 'missing "]"'],
    ['10.0.0.0/8:25', 'a listener binds one address or all of them (0/0), not a network'],
    ['10.0.1.22:99999', '"99999" is not a port number from 0 to 65535'],
    ['10.0.1.22:', '"" is not a port number from 0 to 65535'],
    ['mail.example.com:25', '"mail.example.com" is not an IP address or 0/0'],
  ])('rejects %j', (text, message) => {
    expect(() => parseValue('listener-address', text)).toThrow(ValueError);
    expect(() => parseValue('listener-address', text)).toThrow(message);
  });
});

describe('listener-spec', () => {
  it.each<[string, ListenerSpec]>([
    ['0/0:25', { address: { text: '0/0:25', address: '0.0.0.0', port: 25, any: true } }],
    [
      '10.0.1.22:2525 source=feeder',
      { address: { text: '10.0.1.22:2525', address: '10.0.1.22', port: 2525, any: false }, source: 'feeder' },
    ],
    ['[::1]:25 SOURCE=Local', { address: { text: '[::1]:25', address: '::1', port: 25, any: false }, source: 'Local' }],
  ])('parses %j', (raw, expected) => {
    expect(parseValue('listener-spec', raw)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['0/0:25 tls=yes', '"0/0:25 tls=yes" is not a LISTENER-SPEC: unknown option "tls=yes" (expected ADDRESS:PORT [source=NAME], e.g. 0/0:25 or 10.0.1.22:2525 source=feeder)'],
    ['0/0:25 source=', 'unknown option "source="'],
    ['0/0:25 source=a source=b', 'source= given twice'],
    ['0/0 source=a', 'missing ":PORT"'],
  ])('rejects %j', (raw, message) => {
    expect(() => parseValue('listener-spec', raw)).toThrow(message);
  });
});
