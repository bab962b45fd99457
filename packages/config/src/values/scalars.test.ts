import { describe, expect, it } from 'vitest';
import { parseValue, ValueError, type ValueTypeName } from './index.js';

type Row = [ValueTypeName, string, unknown];

describe('scalar value types', () => {
  it.each<Row>([
    ['boolean', 'yes', true],
    ['boolean', 'YES', true],
    ['boolean', 'true', true],
    ['boolean', 'True', true],
    ['boolean', 'no', false],
    ['boolean', 'false', false],
    ['boolean', 'FALSE', false],
    ['boolean', '"yes"', true],
    ['string', 'feeder', 'feeder'],
    ['string', '"two words"', 'two words'],
    ['text', 'any text at all, even "quotes"', 'any text at all, even "quotes"'],
    ['integer', '0', 0],
    ['integer', '1000', 1000],
    ['integer', '007', 7],
    ['port', '0', 0],
    ['port', '25', 25],
    ['port', '65535', 65535],
    ['hostname', 'mail.example.com', 'mail.example.com'],
    ['hostname', 'MAIL.Example.COM.', 'mail.example.com'],
    ['hostname', 'localhost', 'localhost'],
    ['hostname', 'host_1.example-2.com', 'host_1.example-2.com'],
    ['email', 'bounce@bounce.yourdomain.com', 'bounce@bounce.yourdomain.com'],
    ['email', 'Post.Master@EXAMPLE.com', 'Post.Master@example.com'],
    ['email', 'user+tag@[10.0.0.1]', 'user+tag@[10.0.0.1]'],
    ['auth-method', 'password', 'password'],
    ['auth-method', 'PASSWORD', 'password'],
    ['auth-method', 'certificate', 'certificate'],
    ['auth-method', 'system', 'system'],
  ])('parses %s %j', (type, raw, expected) => {
    expect(parseValue(type, raw)).toEqual(expected);
  });

  it.each<[ValueTypeName, string, string]>([
    ['boolean', 'maybe', '"maybe" is not a BOOLEAN (expected yes, no, true or false)'],
    ['boolean', '1', '"1" is not a BOOLEAN (expected yes, no, true or false)'],
    [
      'boolean',
      'yes please',
      '"yes please" is not a BOOLEAN: expected a single value but found spaces (expected yes, no, true or false)',
    ],
    ['string', 'two words', '"two words" is not a STRING: expected a single value but found spaces (expected a single word or a "quoted string")'],
    ['integer', '-1', '"-1" is not an INTEGER (expected a whole number of 0 or more, e.g. 20)'],
    ['integer', '1.5', '"1.5" is not an INTEGER (expected a whole number of 0 or more, e.g. 20)'],
    ['integer', '99999999999999999999', '"99999999999999999999" is not an INTEGER: too large (expected a whole number of 0 or more, e.g. 20)'],
    ['port', '65536', '"65536" is not a PORT (expected a port number from 0 to 65535)'],
    ['port', 'smtp', '"smtp" is not a PORT (expected a port number from 0 to 65535)'],
    ['hostname', 'bad host', '"bad host" is not a HOSTNAME: expected a single value but found spaces (expected a host name like mail.example.com (letters, digits, hyphens and dots))'],
    ['hostname', 'mail..example.com', '"mail..example.com" is not a HOSTNAME (expected a host name like mail.example.com (letters, digits, hyphens and dots))'],
    ['hostname', 'mail@example.com', '"mail@example.com" is not a HOSTNAME (expected a host name like mail.example.com (letters, digits, hyphens and dots))'],
    ['email', 'no-at-sign', '"no-at-sign" is not an EMAIL (expected an e-mail address like user@example.com)'],
    ['email', '@example.com', '"@example.com" is not an EMAIL (expected an e-mail address like user@example.com)'],
    ['email', 'a@b@c.com', '"a@b@c.com" is not an EMAIL (expected an e-mail address like user@example.com)'],
    ['email', 'user@exa mple.com', '"user@exa mple.com" is not an EMAIL: expected a single value but found spaces (expected an e-mail address like user@example.com)'],
    ['email', 'user@', '"user@" is not an EMAIL: "" is not a valid domain (expected an e-mail address like user@example.com)'],
    ['email', 'user@[1.2.3]', '"user@[1.2.3]" is not an EMAIL: bad address literal [1.2.3] (expected an e-mail address like user@example.com)'],
    ['auth-method', 'kerberos', '"kerberos" is not an AUTH-METHOD (expected password (certificate and system are recognised but not supported))'],
  ])('rejects %s %j with a clear message', (type, raw, message) => {
    expect(() => parseValue(type, raw)).toThrow(ValueError);
    expect(() => parseValue(type, raw)).toThrow(message);
  });

  it('returns the raw text unchanged for text values', () => {
    expect(parseValue('text', '  spaced  ')).toBe('  spaced  ');
  });

  it('gives every ValueError the CONFIG_VALUE code and no file:line', () => {
    try {
      parseValue('boolean', 'maybe');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ValueError);
      expect((e as ValueError).code).toBe('CONFIG_VALUE');
      expect((e as ValueError).name).toBe('ValueError');
      expect((e as ValueError).message).not.toMatch(/:\d+/);
    }
  });
});
