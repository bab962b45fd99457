/**
 * PowerMTA's bounce categories (the accounting file's `bounceCat`), as a closed union, and the
 * value of one line of `<bounce-category-patterns>`: `/REGEX/ CATEGORY` (PowerMTA §3.3.19).
 */
import { fail, valueText } from './common.js';
import { parseRegex, regexSchema, type RegexValue } from './regex.js';
import type { ValueType } from './value-type.js';

export const BOUNCE_CATEGORIES = [
  'bad-configuration',
  'bad-connection',
  'bad-domain',
  'bad-mailbox',
  'content-related',
  'inactive-mailbox',
  'invalid-sender',
  'message-expired',
  'no-answer-from-host',
  'other',
  'policy-related',
  'protocol-errors',
  'quota-issues',
  'relaying-issues',
  'routing-errors',
  'spam-related',
  'virus-related',
] as const;

export type BounceCategory = (typeof BOUNCE_CATEGORIES)[number];

export interface BounceCategoryPattern {
  regex: RegexValue;
  category: BounceCategory;
}

const EXPECTED = `/REGEX/ CATEGORY, the category one of ${BOUNCE_CATEGORIES.join(', ')}`;

/** `/REGEX/ CATEGORY`; the regex ends at the last "/" of the line. */
export function parseBounceCategoryPattern(raw: string): BounceCategoryPattern {
  const bad = (reason: string): Error => fail('bounce-category-pattern', EXPECTED, raw, reason);
  const text = raw.trim();
  if (!text.startsWith('/')) throw bad('it must start with a /REGEX/');
  const end = text.lastIndexOf('/');
  if (end === 0) throw bad('the regex has no closing "/"');
  const rest = text.slice(end + 1).trim();
  if (rest === '') throw bad('no category given');
  const word = rest.toLowerCase();
  const category = BOUNCE_CATEGORIES.find((c) => c === word);
  if (category === undefined) throw bad(`unknown category "${rest}"`);
  return { regex: parseRegex(text.slice(0, end + 1)), category };
}

export const bounceCategoryPatternType: ValueType<BounceCategoryPattern> = {
  name: 'bounce-category-pattern',
  expected: EXPECTED,
  parse: (raw) => parseBounceCategoryPattern(raw),
  schema: {
    type: 'object',
    properties: { regex: regexSchema, category: { type: 'string', enum: [...BOUNCE_CATEGORIES] } },
    required: ['regex', 'category'],
    additionalProperties: false,
  },
};

const LIST_EXPECTED = `bounce categories separated by commas, each one of ${BOUNCE_CATEGORIES.join(', ')}`;

/** A list of bounce categories (auto-suppress-categories): an unknown name is an error at its line. */
export const bounceCategoryListType: ValueType<BounceCategory[]> = {
  name: 'bounce-category-list',
  expected: LIST_EXPECTED,
  parse(raw, words) {
    const items = valueText(raw, words).split(/[\s,]+/).filter((s) => s !== '').map((s) => s.toLowerCase());
    if (items.length === 0) throw fail('bounce-category-list', LIST_EXPECTED, raw, 'no category given');
    const bad = items.find((s) => !(BOUNCE_CATEGORIES as readonly string[]).includes(s));
    if (bad !== undefined) throw fail('bounce-category-list', LIST_EXPECTED, raw, `unknown category "${bad}"`);
    return [...new Set(items)] as BounceCategory[];
  },
  schema: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: [...BOUNCE_CATEGORIES] } },
};
