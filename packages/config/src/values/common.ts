import { invalidValue } from './errors.js';
import { labelOf, type ValueTypeName } from './value-type.js';

/** Builds the standard error for a value type. */
export function fail(name: ValueTypeName, expected: string, text: string, reason?: string): Error {
  return invalidValue(text, labelOf(name), expected, reason);
}

/** The value as one word (quotes removed); throws when it has several words. */
export function singleWord(name: ValueTypeName, expected: string, raw: string, words: string[]): string {
  const [first, ...rest] = words;
  if (first === undefined) throw fail(name, expected, raw, 'the value is empty');
  if (rest.length > 0) throw fail(name, expected, raw, 'expected a single value but found spaces');
  return first;
}

/** For list-like values that may contain spaces: a fully quoted value is unquoted, anything else is used raw. */
export function valueText(raw: string, words: string[]): string {
  return words.length === 1 && words[0] !== undefined ? words[0] : raw;
}

/** Parses a decimal integer without sign, fraction or exponent; undefined when not one or not a safe integer. */
export function parseDecimal(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Parses a port number in [min, 65535]. */
export function parsePortNumber(text: string, min = 0): number | undefined {
  const n = parseDecimal(text);
  return n !== undefined && n >= min && n <= 65535 ? n : undefined;
}

const LABEL_RE = /^[a-z0-9_-]{1,63}$/i;

/** Letters, digits, hyphens and underscores in dot-separated labels; one trailing dot allowed. */
export function isHostName(text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => LABEL_RE.test(label));
}

/** Lowercases and removes one trailing dot. */
export function normalizeHostName(text: string): string {
  const lower = text.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}
