/**
 * Values of suppression lists (PowerMTA guide §10.16): an `<address-list>` entry (`address` holds a local
 * part, an address or a /regex/), a list of names (`suppression-lists a,b` in <source>), and the expiry of
 * automatically suppressed addresses per reason (`auto-suppress-expire bad-mailbox 90d`).
 */
import { closedWordType } from './closed-word.js';
import { fail, singleWord, valueText } from './common.js';
import { ValueError } from './errors.js';
import { parseRegex, regexText, type RegexValue } from './regex.js';
import { parseEmail } from './scalars.js';
import { parseTimeInterval } from './time-interval.js';
import type { ValueType } from './value-type.js';

export type AddressEntry =
  | { kind: 'local'; local: string }
  | { kind: 'address'; address: string }
  | { kind: 'regex'; regex: RegexValue };

const ADDRESS_ENTRY_EXPECTED = 'a local part (foo), an address (foo@example.com) or a /REGEX/';
const LOCAL_RE = /^[^\s@<>"(),;:\\[\]]+$/;

/** One line of an address-file or the value of `address`; undefined for a blank or comment line. */
export function parseAddressEntry(text: string): AddressEntry {
  const t = text.trim();
  if (t.startsWith('/')) return { kind: 'regex', regex: parseRegex(t) };
  if (t.includes('@')) {
    try {
      return { kind: 'address', address: parseEmail(t).toLowerCase() };
    } catch (e) {
      if (e instanceof ValueError) throw fail('address-entry', ADDRESS_ENTRY_EXPECTED, text);
      throw e;
    }
  }
  if (!LOCAL_RE.test(t)) throw fail('address-entry', ADDRESS_ENTRY_EXPECTED, text);
  return { kind: 'local', local: t.toLowerCase() };
}

export const addressEntryType: ValueType<AddressEntry> = {
  name: 'address-entry',
  expected: ADDRESS_ENTRY_EXPECTED,
  parse(raw, words) {
    const text = regexText(raw, words);
    if (text.startsWith('/')) return parseAddressEntry(text);
    return parseAddressEntry(singleWord('address-entry', ADDRESS_ENTRY_EXPECTED, raw, words));
  },
  schema: {
    type: 'object',
    properties: {
      kind: { type: 'string', enum: ['local', 'address', 'regex'] },
      local: { type: 'string', minLength: 1 },
      address: { type: 'string', minLength: 3 },
      regex: { type: 'object' },
    },
    required: ['kind'],
  },
};

const NAME_LIST_EXPECTED = 'names separated by commas, e.g. list1,list2';
const NAME_RE = /^[\w.@{}-]+$/;

export const nameListType: ValueType<string[]> = {
  name: 'name-list',
  expected: NAME_LIST_EXPECTED,
  parse(raw, words) {
    const items = valueText(raw, words).split(/[\s,]+/).filter((s) => s !== '');
    if (items.length === 0) throw fail('name-list', NAME_LIST_EXPECTED, raw, 'no name given');
    const bad = items.find((s) => !NAME_RE.test(s));
    if (bad !== undefined) throw fail('name-list', NAME_LIST_EXPECTED, raw, `"${bad}" is not a name`);
    return [...new Set(items)];
  },
  schema: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
};

export interface ReasonInterval {
  /** A bounce category (bad-mailbox, bad-domain, ...) or `manual`. */
  reason: string;
  /** Milliseconds; 0 = never expires. */
  ms: number;
}

const REASON_INTERVAL_EXPECTED = 'REASON INTERVAL, e.g. bad-mailbox 90d (0 = never)';

export const reasonIntervalType: ValueType<ReasonInterval> = {
  name: 'reason-interval',
  expected: REASON_INTERVAL_EXPECTED,
  parse(raw, words) {
    const [reason, interval, ...rest] = words;
    if (reason === undefined || interval === undefined || rest.length > 0 || !/^[a-z][a-z0-9-]*$/i.test(reason)) {
      throw fail('reason-interval', REASON_INTERVAL_EXPECTED, raw);
    }
    return { reason: reason.toLowerCase(), ms: parseTimeInterval(interval) };
  },
  schema: {
    type: 'object',
    properties: { reason: { type: 'string', minLength: 1 }, ms: { type: 'number', minimum: 0 } },
    required: ['reason', 'ms'],
    additionalProperties: false,
  },
};

export type SuppressionTenantMode = 'smtp-user' | 'source' | 'global';

export const suppressionTenantType = closedWordType<SuppressionTenantMode>('suppression-tenant', ['smtp-user', 'source', 'global']);
