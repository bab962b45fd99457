/**
 * Rules of a routing <pattern-list> (PowerMTA §3.3.14): `mail-from /REGEX/ RESULT`, `rcpt-to /REGEX/ RESULT`
 * and `header NAME /REGEX/ RESULT`. A pattern is a /REGEX/ (case-insensitive unless it starts with (?-i)) or
 * one word matched exactly, ignoring case. RESULT: `virtual-mta=NAME`, `recipient-priority=N` (0-100) and
 * `call-to:NAME` (another <pattern-list>), separated by commas or spaces.
 */
import { fail } from './common.js';
import { parseRegex, regexSchema, type RegexValue } from './regex.js';
import type { ValueType, ValueTypeName } from './value-type.js';

export type PatternMatch = { kind: 'regex'; regex: RegexValue } | { kind: 'exact'; text: string };

export type PatternAction =
  | { action: 'virtual-mta'; value: string }
  | { action: 'recipient-priority'; value: number }
  | { action: 'call-to'; value: string };

export interface PatternRule {
  /** The header matched (lower case), for `header` rules only. */
  header?: string;
  match: PatternMatch;
  actions: PatternAction[];
}

const RESULTS = 'virtual-mta=NAME, recipient-priority=0..100, call-to:PATTERN-LIST';
export const PATTERN_RULE_EXPECTED = `/REGEX/ (or an exact word) followed by ${RESULTS}`;
export const HEADER_PATTERN_RULE_EXPECTED = `HEADER-NAME /REGEX/ (or an exact word) followed by ${RESULTS}`;
const NAME_RE = /^[\w.@{}-]+$/;
const HEADER_NAME_RE = /^[\x21-\x39\x3b-\x7e]+$/;
const NESTED = /<\s*pattern-list\s*>\s*$/i;

function parseAction(token: string, bad: (reason: string) => Error): PatternAction {
  const lower = token.toLowerCase();
  if (lower.startsWith('call-to:')) {
    const value = token.slice('call-to:'.length);
    if (!NAME_RE.test(value)) throw bad(`"${token}": call-to needs the name of a <pattern-list>, e.g. call-to:other`);
    return { action: 'call-to', value };
  }
  const eq = token.indexOf('=');
  const name = eq < 0 ? lower : lower.slice(0, eq);
  const value = eq < 0 ? '' : token.slice(eq + 1);
  if (name === 'virtual-mta') {
    if (!NAME_RE.test(value)) throw bad(`"${token}": virtual-mta needs a VMTA or pool name, e.g. virtual-mta=mta1`);
    return { action: 'virtual-mta', value };
  }
  if (name === 'recipient-priority') {
    const n = /^\d{1,3}$/.test(value) ? Number(value) : NaN;
    if (!(n >= 0 && n <= 100)) throw bad(`"${token}": recipient-priority must be a number from 0 to 100`);
    return { action: 'recipient-priority', value: n };
  }
  throw bad(`unknown result "${token}"`);
}

function forbidden(actions: readonly PatternAction[]): string | undefined {
  const count = (a: PatternAction['action']) => actions.filter((x) => x.action === a).length;
  for (const a of ['virtual-mta', 'recipient-priority', 'call-to'] as const) if (count(a) > 1) return `${a} is given twice`;
  if (count('call-to') && count('virtual-mta')) return 'call-to and virtual-mta cannot be in one rule';
  return undefined;
}

/** A pattern and its results, e.g. `/^billing@/ virtual-mta=mta2`. */
export function parsePatternRule(raw: string, type: ValueTypeName = 'pattern-rule', expected = PATTERN_RULE_EXPECTED): PatternRule {
  const bad = (reason: string): Error => fail(type, expected, raw, reason);
  if (NESTED.test(raw)) throw bad('a <pattern-list> nested inside a rule is not supported yet; write a named <pattern-list> and use call-to:NAME');
  let match: PatternMatch;
  let rest: string;
  if (raw.startsWith('/')) {
    const end = raw.lastIndexOf('/');
    if (end === 0) throw bad('the regex has no closing "/"');
    rest = raw.slice(end + 1);
    if (rest !== '' && !/^[\s,]/.test(rest)) throw bad(`unexpected "${rest.split(/[\s,]/)[0] ?? ''}" right after the closing "/"`);
    match = { kind: 'regex', regex: parseRegex(raw.slice(0, end + 1)) };
  } else {
    const word = /^\S+/.exec(raw)?.[0] ?? '';
    if (word === '' || word.includes('=') || word.toLowerCase().startsWith('call-to:')) throw bad('the pattern (a /REGEX/ or a word) is missing');
    match = { kind: 'exact', text: word };
    rest = raw.slice(word.length);
  }
  const tokens = rest.replace(/call-to:\s+/gi, 'call-to:').split(/[\s,]+/).filter((t) => t !== '');
  if (tokens.length === 0) throw bad(`no result given (${RESULTS})`);
  const actions = tokens.map((t) => parseAction(t, bad));
  const why = forbidden(actions);
  if (why !== undefined) throw bad(why);
  return { match, actions };
}

/** `NAME /REGEX/ RESULT`: a header rule. */
export function parseHeaderPatternRule(raw: string): PatternRule {
  const name = /^\S+/.exec(raw)?.[0] ?? '';
  if (!HEADER_NAME_RE.test(name) || name.startsWith('/')) {
    throw fail('header-pattern-rule', HEADER_PATTERN_RULE_EXPECTED, raw, 'it must start with the header name');
  }
  const rule = parsePatternRule(raw.slice(name.length).trim(), 'header-pattern-rule', HEADER_PATTERN_RULE_EXPECTED);
  return { header: name.toLowerCase(), ...rule };
}

const matchSchema = {
  anyOf: [
    {
      type: 'object',
      properties: { kind: { type: 'string', const: 'regex' }, regex: regexSchema },
      required: ['kind', 'regex'],
      additionalProperties: false,
    },
    {
      type: 'object',
      properties: { kind: { type: 'string', const: 'exact' }, text: { type: 'string', minLength: 1 } },
      required: ['kind', 'text'],
      additionalProperties: false,
    },
  ],
};

const actionSchema = {
  anyOf: [
    {
      type: 'object',
      properties: { action: { type: 'string', enum: ['virtual-mta', 'call-to'] }, value: { type: 'string', minLength: 1 } },
      required: ['action', 'value'],
      additionalProperties: false,
    },
    {
      type: 'object',
      properties: { action: { type: 'string', const: 'recipient-priority' }, value: { type: 'integer', minimum: 0, maximum: 100 } },
      required: ['action', 'value'],
      additionalProperties: false,
    },
  ],
};

function ruleSchema(withHeader: boolean): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      ...(withHeader ? { header: { type: 'string', minLength: 1 } } : {}),
      match: matchSchema,
      actions: { type: 'array', minItems: 1, items: actionSchema },
    },
    required: withHeader ? ['header', 'match', 'actions'] : ['match', 'actions'],
    additionalProperties: false,
  };
}

export const patternRuleType: ValueType<PatternRule> = {
  name: 'pattern-rule',
  expected: PATTERN_RULE_EXPECTED,
  parse: (raw) => parsePatternRule(raw),
  schema: ruleSchema(false),
};

export const headerPatternRuleType: ValueType<PatternRule> = {
  name: 'header-pattern-rule',
  expected: HEADER_PATTERN_RULE_EXPECTED,
  parse: (raw) => parseHeaderPatternRule(raw),
  schema: ruleSchema(true),
};
