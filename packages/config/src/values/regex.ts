import { fail, singleWord, valueText } from './common.js';
import { ValueError } from './errors.js';
import { EMAIL_EXPECTED, parseEmail } from './scalars.js';
import type { ValueType } from './value-type.js';

export interface RegexValue {
  /** JavaScript RegExp source, without the slashes and without a leading (?-i). */
  source: string;
  /** 'i' unless the pattern started with (?-i). */
  flags: '' | 'i';
}

export type AddressOrRegex = { kind: 'address'; address: string } | { kind: 'regex'; regex: RegexValue };

export const REGEX_EXPECTED = '/PATTERN/, case-insensitive unless it starts with (?-i); write \\x23 for #';
export const ADDRESS_OR_REGEX_EXPECTED = `${EMAIL_EXPECTED} or a /REGEX/`;

const V8_PREFIX = 'Invalid regular expression: ';

export interface RegexOptions {
  /**
   * Where an empty pattern `//` is PowerMTA's catch-all (the last line of <bounce-category-patterns>, a
   * `reply //` of <smtp-pattern-list>): it matches every reply. Everywhere else an empty pattern is
   * refused, above all where it would widen access (relay-address `//` would make an open relay).
   */
  allowEmpty?: boolean;
}

/** Parses `/.../`; `(?-i)` right after the first slash makes it case-sensitive (a leading `(?i)` is dropped). */
export function parseRegex(text: string, options: RegexOptions = {}): RegexValue {
  if (text.length < 2 || !text.startsWith('/') || !text.endsWith('/')) {
    throw fail('regex', REGEX_EXPECTED, text, 'it must start and end with "/"');
  }
  let source = text.slice(1, -1);
  let flags: '' | 'i' = 'i';
  if (source.startsWith('(?-i)')) {
    source = source.slice(5);
    flags = '';
  } else if (source.startsWith('(?i)')) {
    source = source.slice(4);
  }
  if (source === '' && options.allowEmpty !== true) {
    throw fail('regex', REGEX_EXPECTED, text, 'the pattern is empty: it would match everything (an empty // is a catch-all only in <bounce-category-patterns> and smtp-pattern-list reply lines)');
  }
  try {
    new RegExp(source, flags);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const prefix = `${V8_PREFIX}/${source}/${flags}: `;
    const reason = message.startsWith(prefix) ? message.slice(prefix.length) : message.replace(V8_PREFIX, '');
    throw fail('regex', REGEX_EXPECTED, text, reason);
  }
  return { source, flags };
}

const cache = new Map<string, RegExp>();
const CACHE_LIMIT = 512;

/** A RegExp for a parsed value; compiled objects are cached (the oldest entry is dropped when the cache is full). */
export function toRegExp(value: RegexValue): RegExp {
  const key = `${value.flags}/${value.source}`;
  let re = cache.get(key);
  if (re === undefined) {
    re = new RegExp(value.source, value.flags);
    if (cache.size >= CACHE_LIMIT) {
      const oldest = cache.keys().next();
      if (oldest.done !== true) cache.delete(oldest.value);
    }
    cache.set(key, re);
  }
  return re;
}

export const regexSchema = {
  type: 'object',
  properties: { source: { type: 'string', minLength: 1 }, flags: { type: 'string', enum: ['', 'i'] } },
  required: ['source', 'flags'],
  additionalProperties: false,
} as const;

/** A regex that may be the empty catch-all `//` (see RegexOptions.allowEmpty). */
export const catchAllRegexSchema = {
  ...regexSchema,
  properties: { ...regexSchema.properties, source: { type: 'string' } },
} as const;

/** True for the empty pattern `//`, PowerMTA's catch-all. */
export function isCatchAll(value: RegexValue): boolean {
  return value.source === '';
}

/** A value that starts with "/" is taken from the raw text, so quotes inside a regex need no escaping. */
export function regexText(raw: string, words: string[]): string {
  return raw.startsWith('/') ? raw : valueText(raw, words);
}

export const regexType: ValueType<RegexValue> = {
  name: 'regex',
  expected: REGEX_EXPECTED,
  parse: (raw, words) => parseRegex(regexText(raw, words)),
  schema: regexSchema,
};

export const addressOrRegexType: ValueType<AddressOrRegex> = {
  name: 'address-or-regex',
  expected: ADDRESS_OR_REGEX_EXPECTED,
  parse(raw, words) {
    const text = regexText(raw, words);
    if (/^\/(\(\?-?i\))?\/$/.test(text)) {
      // Only relay-address takes this type: an empty regex would let anyone send to any address.
      throw fail('address-or-regex', ADDRESS_OR_REGEX_EXPECTED, raw, 'an empty // matches every recipient and would make an open relay; name the addresses, or give your own feeders always-allow-relaying in their <source>');
    }
    if (text.startsWith('/')) return { kind: 'regex', regex: parseRegex(text) };
    const word = singleWord('address-or-regex', ADDRESS_OR_REGEX_EXPECTED, raw, words);
    try {
      return { kind: 'address', address: parseEmail(word) };
    } catch (e) {
      if (e instanceof ValueError) throw fail('address-or-regex', ADDRESS_OR_REGEX_EXPECTED, raw);
      throw e;
    }
  },
  schema: {
    anyOf: [
      {
        type: 'object',
        properties: { kind: { type: 'string', const: 'address' }, address: { type: 'string', minLength: 3 } },
        required: ['kind', 'address'],
        additionalProperties: false,
      },
      {
        type: 'object',
        properties: { kind: { type: 'string', const: 'regex' }, regex: regexSchema },
        required: ['kind', 'regex'],
        additionalProperties: false,
      },
    ],
  },
};
