import { fail, isHostName, normalizeHostName, parseDecimal, parsePortNumber, singleWord } from './common.js';
import { normalizeIp } from './ip.js';
import type { ValueType } from './value-type.js';

const BOOLEAN_EXPECTED = 'yes, no, true or false';
export const booleanType: ValueType<boolean> = {
  name: 'boolean',
  expected: BOOLEAN_EXPECTED,
  parse(raw, words) {
    const word = singleWord('boolean', BOOLEAN_EXPECTED, raw, words).toLowerCase();
    if (word === 'yes' || word === 'true') return true;
    if (word === 'no' || word === 'false') return false;
    throw fail('boolean', BOOLEAN_EXPECTED, raw);
  },
  schema: { type: 'boolean' },
};

const STRING_EXPECTED = 'a single word or a "quoted string"';
export const stringType: ValueType<string> = {
  name: 'string',
  expected: STRING_EXPECTED,
  parse: (raw, words) => singleWord('string', STRING_EXPECTED, raw, words),
  schema: { type: 'string' },
};

export const textType: ValueType<string> = {
  name: 'text',
  expected: 'any text',
  parse: (raw) => raw,
  schema: { type: 'string' },
};

const INTEGER_EXPECTED = 'a whole number of 0 or more, e.g. 20';
export const integerType: ValueType<number> = {
  name: 'integer',
  expected: INTEGER_EXPECTED,
  parse(raw, words) {
    const word = singleWord('integer', INTEGER_EXPECTED, raw, words);
    const n = parseDecimal(word);
    if (n === undefined) throw fail('integer', INTEGER_EXPECTED, raw, /^\d+$/.test(word) ? 'too large' : undefined);
    return n;
  },
  schema: { type: 'integer', minimum: 0 },
};

const LIMIT_EXPECTED = 'a whole number of 0 or more (0 = unlimited), or unlimited';
/** A count that may be lifted: `N`, or `unlimited` (0 means unlimited too, as in PowerMTA). */
export const limitType: ValueType<number | 'unlimited'> = {
  name: 'limit',
  expected: LIMIT_EXPECTED,
  parse(raw, words) {
    const word = singleWord('limit', LIMIT_EXPECTED, raw, words);
    if (word.toLowerCase() === 'unlimited') return 'unlimited';
    const n = parseDecimal(word);
    if (n === undefined) throw fail('limit', LIMIT_EXPECTED, raw, /^\d+$/.test(word) ? 'too large' : undefined);
    return n;
  },
  schema: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', const: 'unlimited' }] },
};

const PORT_EXPECTED = 'a port number from 0 to 65535';
export const portType: ValueType<number> = {
  name: 'port',
  expected: PORT_EXPECTED,
  parse(raw, words) {
    const n = parsePortNumber(singleWord('port', PORT_EXPECTED, raw, words));
    if (n === undefined) throw fail('port', PORT_EXPECTED, raw);
    return n;
  },
  schema: { type: 'integer', minimum: 0, maximum: 65535 },
};

const HOSTNAME_EXPECTED = 'a host name like mail.example.com (letters, digits, hyphens and dots)';
/** Validates a host name and returns it lowercased without a trailing dot. */
export function parseHostName(text: string): string {
  if (!isHostName(text)) throw fail('hostname', HOSTNAME_EXPECTED, text);
  return normalizeHostName(text);
}
export const hostnameType: ValueType<string> = {
  name: 'hostname',
  expected: HOSTNAME_EXPECTED,
  parse: (raw, words) => parseHostName(singleWord('hostname', HOSTNAME_EXPECTED, raw, words)),
  schema: { type: 'string', minLength: 1 },
};

export const EMAIL_EXPECTED = 'an e-mail address like user@example.com';
/** Validates `local@domain` (domain may be an address literal) and returns it with the domain lowercased. */
export function parseEmail(text: string): string {
  const at = text.lastIndexOf('@');
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  if (at <= 0 || local.includes('@') || /[\s<>,;"]/.test(local)) throw fail('email', EMAIL_EXPECTED, text);
  if (domain.startsWith('[') && domain.endsWith(']')) {
    const inner = domain.slice(1, -1).replace(/^ipv6:/i, '');
    if (normalizeIp(inner) === undefined) throw fail('email', EMAIL_EXPECTED, text, `bad address literal ${domain}`);
  } else if (!isHostName(domain) || domain.endsWith('.')) {
    throw fail('email', EMAIL_EXPECTED, text, `"${domain}" is not a valid domain`);
  }
  return `${local}@${domain.toLowerCase()}`;
}
export const emailType: ValueType<string> = {
  name: 'email',
  expected: EMAIL_EXPECTED,
  parse: (raw, words) => parseEmail(singleWord('email', EMAIL_EXPECTED, raw, words)),
  schema: { type: 'string', minLength: 3 },
};

const EMAIL_LIST_EXPECTED = 'e-mail addresses separated by commas, like ops@example.com, noc@example.com';
/** A comma separated list of addresses (backoff-notify). */
export const emailListType: ValueType<string[]> = {
  name: 'email-list',
  expected: EMAIL_LIST_EXPECTED,
  parse(raw) {
    const items = raw.split(',').map((a) => a.trim());
    if (items.some((a) => a === '')) throw fail('email-list', EMAIL_LIST_EXPECTED, raw);
    return items.map(parseEmail);
  },
  schema: { type: 'array', items: { type: 'string', minLength: 3 }, minItems: 1 },
};

export type AuthMethod = 'password' | 'certificate' | 'system';
const AUTH_METHODS: readonly AuthMethod[] = ['password', 'certificate', 'system'];
const AUTH_EXPECTED = 'password (certificate and system are recognised but not supported)';
export const authMethodType: ValueType<AuthMethod> = {
  name: 'auth-method',
  expected: AUTH_EXPECTED,
  parse(raw, words) {
    const word = singleWord('auth-method', AUTH_EXPECTED, raw, words).toLowerCase();
    const method = AUTH_METHODS.find((m) => m === word);
    if (method === undefined) throw fail('auth-method', AUTH_EXPECTED, raw);
    return method;
  },
  schema: { type: 'string', enum: [...AUTH_METHODS] },
};
