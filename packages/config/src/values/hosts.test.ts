import { describe, expect, it } from 'vitest';
import { parseValue, ValueError, type HostList, type NameServer, type SourceHost } from './index.js';

describe('host-list', () => {
  it.each<[string, HostList]>([
    ['mx.example.com', [[{ kind: 'host', host: 'mx.example.com' }]]],
    ['MX.Example.com:2525', [[{ kind: 'host', host: 'mx.example.com', port: 2525 }]]],
    [
      'h1, h2; [10.1.1.1]:2525; last',
      [
        [
          { kind: 'host', host: 'h1' },
          { kind: 'host', host: 'h2' },
        ],
        [{ kind: 'ip', ip: '10.1.1.1', port: 2525 }],
        [{ kind: 'host', host: 'last' }],
      ],
    ],
    ['[10.1.1.1]', [[{ kind: 'ip', ip: '10.1.1.1' }]]],
    ['10.1.1.1:26', [[{ kind: 'ip', ip: '10.1.1.1', port: 26 }]]],
    ['[2001:DB8::1]:25', [[{ kind: 'ip', ip: '2001:db8::1', port: 25 }]]],
    ['[IPv6:2001:db8::1]', [[{ kind: 'ip', ip: '2001:db8::1' }]]],
    ['lookup-mx:other.com', [[{ kind: 'lookup-mx', domain: 'other.com' }]]],
    [
      'lookup-mx:Other.com; backup.example.com',
      [[{ kind: 'lookup-mx', domain: 'other.com' }], [{ kind: 'host', host: 'backup.example.com' }]],
    ],
    ['"a.com,b.com"', [[{ kind: 'host', host: 'a.com' }, { kind: 'host', host: 'b.com' }]]],
  ])('parses %j', (raw, expected) => {
    expect(parseValue('host-list', raw)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['h1,,h2', '"h1,,h2" is not a HOST-LIST: an entry between separators is empty (expected hosts separated by'],
    ['h1;', 'an entry between separators is empty'],
    ['h1 h2', '"h1 h2": separate hosts with "," or ";"'],
    ['2001:db8::1', 'write IPv6 addresses in brackets'],
    ['h1:0', '"0" is not a port number from 1 to 65535'],
    ['h1:smtp', '"smtp" is not a port number from 1 to 65535'],
    ['[10.1.1]:25', '"10.1.1" is not an IP address'],
    ['[10.1.1.1]x', '"[10.1.1.1]x" is not [ip] or [ip]:port'],
    ['bad_host!', '"bad_host!" is not a host name'],
    ['lookup-mx:', '"" is not a domain name'],
  ])('rejects %j', (raw, message) => {
    expect(() => parseValue('host-list', raw)).toThrow(ValueError);
    expect(() => parseValue('host-list', raw)).toThrow(message);
  });
});

describe('source-host', () => {
  it.each<[string, SourceHost]>([
    [
      '10.0.0.5 Mail.Example.com',
      { cidr: { text: '10.0.0.5', address: '10.0.0.5', prefix: 32, family: 4, any: false }, hostName: 'mail.example.com' },
    ],
    [
      '10.0.0.0/24 mta.example.com',
      { cidr: { text: '10.0.0.0/24', address: '10.0.0.0', prefix: 24, family: 4, any: false }, hostName: 'mta.example.com' },
    ],
    [
      '2001:db8::25 mta6.example.com',
      { cidr: { text: '2001:db8::25', address: '2001:db8::25', prefix: 128, family: 6, any: false }, hostName: 'mta6.example.com' },
    ],
  ])('parses %j', (raw, expected) => {
    expect(parseValue('source-host', raw)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['10.0.0.5', '"10.0.0.5" is not a SOURCE-HOST: expected exactly two words (expected IP-or-CIDR HOSTNAME, e.g. 10.0.0.5 mail.example.com)'],
    ['10.0.0.5 a.com b.com', 'expected exactly two words'],
    ['mail.example.com 10.0.0.5', '"mail.example.com" is not a CIDR'],
    ['10.0.0.5 bad!name', '"bad!name" is not a HOSTNAME'],
  ])('rejects %j', (raw, message) => {
    expect(() => parseValue('source-host', raw)).toThrow(message);
  });
});

describe('name-server', () => {
  it.each<[string, NameServer]>([
    ['8.8.8.8', { ip: '8.8.8.8', port: 53 }],
    ['10.0.0.53:5353', { ip: '10.0.0.53', port: 5353 }],
    ['2001:db8::53', { ip: '2001:db8::53', port: 53 }],
    ['::1', { ip: '::1', port: 53 }],
    ['[2001:DB8::53]:5300', { ip: '2001:db8::53', port: 5300 }],
    ['[::1]', { ip: '::1', port: 53 }],
  ])('parses %j', (raw, expected) => {
    expect(parseValue('name-server', raw)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['dns.example.com', '"dns.example.com" is not a NAME-SERVER: "dns.example.com" is not an IP address (expected IP[:PORT], e.g. 8.8.8.8, 10.0.0.53:5353, 2001:db8::53 or [2001:db8::53]:53)'],
    ['8.8.8.8:0', '"0" is not a port number from 1 to 65535'],
    ['8.8.8.8:70000', '"70000" is not a port number from 1 to 65535'],
    ['[::1]x', '"[::1]x" is not a NAME-SERVER'],
    ['8.8.8.8 8.8.4.4', '"8.8.8.8 8.8.4.4" is not a NAME-SERVER'],
  ])('rejects %j', (raw, message) => {
    expect(() => parseValue('name-server', raw)).toThrow(message);
  });
});
