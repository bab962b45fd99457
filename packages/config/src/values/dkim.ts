/** Value types of the dkim-* <domain> directives (PowerMTA §3.3.10.19–30). */
import { fail, isHostName, normalizeHostName, singleWord, valueText } from './common.js';
import { parseRegex, type RegexValue } from './regex.js';
import type { ValueType } from './value-type.js';

/** dkim-sign: yes, no, or sign only when the message has an X-DKIM-Options header. */
export type DkimSignMode = boolean | 'if-x-dkim-options-present';
export type DkimCanon = 'simple' | 'relaxed';

/**
 * dkim-identity. sender-or-from: the signing domain is the Sender header's, else the From
 * header's (default). strict-from: the From header's only, and only a key for exactly that domain.
 * identity: this address (or @domain) is the i= tag and its domain replaces the header's for the key lookup.
 */
export type DkimIdentity =
  | { kind: 'sender-or-from' }
  | { kind: 'strict-from' }
  | { kind: 'identity'; identity: string; domain: string };

/** dkim-headers: header names (exact, case-insensitive) and /regex/ entries signed besides the defaults. */
export type DkimHeaderItem = { kind: 'name'; name: string } | { kind: 'regex'; regex: RegexValue };

const SIGN_EXPECTED = 'yes, no or if-x-dkim-options-present';
export const dkimSignType: ValueType<DkimSignMode> = {
  name: 'dkim-sign',
  expected: SIGN_EXPECTED,
  parse(raw, words) {
    const word = singleWord('dkim-sign', SIGN_EXPECTED, raw, words).toLowerCase();
    if (word === 'yes' || word === 'true') return true;
    if (word === 'no' || word === 'false') return false;
    if (word === 'if-x-dkim-options-present') return word;
    throw fail('dkim-sign', SIGN_EXPECTED, raw);
  },
  schema: { anyOf: [{ type: 'boolean' }, { const: 'if-x-dkim-options-present' }] },
};

const CANON_EXPECTED = 'simple or relaxed';
export const dkimCanonType: ValueType<DkimCanon> = {
  name: 'dkim-canon',
  expected: CANON_EXPECTED,
  parse(raw, words) {
    const word = singleWord('dkim-canon', CANON_EXPECTED, raw, words).toLowerCase();
    if (word === 'simple' || word === 'relaxed') return word;
    throw fail('dkim-canon', CANON_EXPECTED, raw);
  },
  schema: { type: 'string', enum: ['simple', 'relaxed'] },
};

const IDENTITY_EXPECTED = 'EMAIL-ADDRESS, @DOMAIN, DOMAIN, sender-or-from or strict-from, e.g. @esp.example';
const LOCAL_RE = /^[^\s@;"<>()\\,]+$/;
export const dkimIdentityType: ValueType<DkimIdentity> = {
  name: 'dkim-identity',
  expected: IDENTITY_EXPECTED,
  parse(raw, words) {
    const word = singleWord('dkim-identity', IDENTITY_EXPECTED, raw, words);
    const lower = word.toLowerCase();
    if (lower === 'sender-or-from' || lower === 'strict-from') return { kind: lower };
    const at = word.lastIndexOf('@');
    const local = at < 0 ? '' : word.slice(0, at);
    const domain = at < 0 ? word : word.slice(at + 1);
    if (!isHostName(domain) || domain.endsWith('.')) throw fail('dkim-identity', IDENTITY_EXPECTED, raw, `"${domain}" is not a domain name`);
    if (local !== '' && !LOCAL_RE.test(local)) throw fail('dkim-identity', IDENTITY_EXPECTED, raw, `"${local}" is not a local part`);
    const d = normalizeHostName(domain);
    return { kind: 'identity', identity: `${local}@${d}`, domain: d };
  },
  schema: {
    anyOf: [
      { type: 'object', properties: { kind: { enum: ['sender-or-from', 'strict-from'] } }, required: ['kind'], additionalProperties: false },
      {
        type: 'object',
        properties: { kind: { const: 'identity' }, identity: { type: 'string' }, domain: { type: 'string' } },
        required: ['kind', 'identity', 'domain'],
        additionalProperties: false,
      },
    ],
  },
};

const HEADERS_EXPECTED = 'header names and /regex/ entries separated by commas, e.g. X-Campaign, /^x-list-/';
const FIELD_NAME_RE = /^[\x21-\x39\x3b-\x7e]+$/;
export const dkimHeadersType: ValueType<DkimHeaderItem[]> = {
  name: 'dkim-headers',
  expected: HEADERS_EXPECTED,
  parse(raw, words) {
    const items = valueText(raw, words)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (items.length === 0) throw fail('dkim-headers', HEADERS_EXPECTED, raw, 'no header named');
    return items.map((item): DkimHeaderItem => {
      if (item.startsWith('/')) return { kind: 'regex', regex: parseRegex(item) };
      if (!FIELD_NAME_RE.test(item)) throw fail('dkim-headers', HEADERS_EXPECTED, raw, `"${item}" is not a header name`);
      return { kind: 'name', name: item.toLowerCase() };
    });
  },
  schema: {
    type: 'array',
    minItems: 1,
    items: {
      anyOf: [
        { type: 'object', properties: { kind: { const: 'name' }, name: { type: 'string' } }, required: ['kind', 'name'], additionalProperties: false },
        {
          type: 'object',
          properties: {
            kind: { const: 'regex' },
            regex: {
              type: 'object',
              properties: { source: { type: 'string' }, flags: { enum: ['', 'i'] } },
              required: ['source', 'flags'],
              additionalProperties: false,
            },
          },
          required: ['kind', 'regex'],
          additionalProperties: false,
        },
      ],
    },
  },
};
