/**
 * PowerMTA's bounce categories (the accounting file's `bounceCat`), as a closed union, and the
 * value of one line of `<bounce-category-patterns>`: `/REGEX/ CATEGORY` (PowerMTA §10.8).
 * Besides the bounce categories a line may name `success` (PowerMTA's shipped default config has
 * `/^2.\d.\d/ success`): it classifies successful replies, so it never gives a failure its category.
 * An empty regex `//` is the catch-all (PowerMTA's default config ends with `// other`).
 */
import { fail, valueText } from './common.js';
import { catchAllRegexSchema, parseRegex, type RegexValue } from './regex.js';
import { suggest } from '../suggest.js';
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

/** The category a reply that is not a failure gets (a line of <bounce-category-patterns> may name it). */
export const SUCCESS_CATEGORY = 'success';

/** What a line of <bounce-category-patterns> may name: a bounce category, or `success`. */
export type PatternCategory = BounceCategory | typeof SUCCESS_CATEGORY;

const PATTERN_CATEGORIES: readonly PatternCategory[] = [...BOUNCE_CATEGORIES, SUCCESS_CATEGORY];

export interface BounceCategoryPattern {
  regex: RegexValue;
  /** For a custom line: `other`, never used (the line is left out: bounceCategoryPatternsOf). */
  category: PatternCategory;
  /**
   * A category name of the operator's own ("Custom category names are allowed", PowerMTA §10.8).
   * Not supported yet: our records carry PowerMTA's categories only, so such a line is left out
   * and `vmta check` warns with file:line. A name close to a known category is a typo: an error.
   */
  custom?: string;
}

const CUSTOM_NAME = /^[a-z0-9][a-z0-9_.-]*$/i;

const EXPECTED = `/REGEX/ CATEGORY (// is the catch-all), the category one of ${BOUNCE_CATEGORIES.join(', ')} or ${SUCCESS_CATEGORY}`;

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
  const category = PATTERN_CATEGORIES.find((c) => c === word);
  if (category === undefined) {
    const near = suggest(word, PATTERN_CATEGORIES);
    if (near !== undefined) throw bad(`unknown category "${rest}" (did you mean "${near}"?)`);
    if (!CUSTOM_NAME.test(rest)) throw bad(`unknown category "${rest}"`);
    return { regex: parseRegex(text.slice(0, end + 1), { allowEmpty: true }), category: 'other', custom: rest };
  }
  return { regex: parseRegex(text.slice(0, end + 1), { allowEmpty: true }), category };
}

export const bounceCategoryPatternType: ValueType<BounceCategoryPattern> = {
  name: 'bounce-category-pattern',
  expected: EXPECTED,
  parse: (raw) => parseBounceCategoryPattern(raw),
  schema: {
    type: 'object',
    properties: { regex: catchAllRegexSchema, category: { type: 'string', enum: [...PATTERN_CATEGORIES] }, custom: { type: 'string', minLength: 1 } },
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
