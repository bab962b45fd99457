import { fail, singleWord, valueText } from './common.js';
import type { ValueType } from './value-type.js';

const UNIT_MS: Record<string, number> = {
  w: 7 * 24 * 3600_000,
  d: 24 * 3600_000,
  h: 3600_000,
  m: 60_000,
  s: 1000,
};

export const TIME_INTERVAL_EXPECTED =
  'a number with unit w, d, h, m or s, combinable, e.g. 1w2d12h, 1h30m, 10m, or a bare number of seconds';
export const TIME_INTERVAL_LIST_EXPECTED = 'comma-separated TIME-INTERVALs like 10m,10m,1h';

type Checked = { ok: true; ms: number } | { ok: false; reason?: string };

function check(text: string): Checked {
  if (text.length === 0) return { ok: false, reason: 'the value is empty' };
  if (/^\d+$/.test(text)) return withinRange(Number(text) * 1000);
  if (/^(\d+[wdhms])+$/i.test(text)) {
    let ms = 0;
    for (const [, n, unit] of text.matchAll(/(\d+)([wdhms])/gi)) {
      ms += Number(n) * (UNIT_MS[(unit ?? '').toLowerCase()] ?? Number.NaN);
    }
    return withinRange(ms);
  }
  if (text.startsWith('-')) return { ok: false, reason: 'it must not be negative' };
  if (/\d[.,]\d/.test(text)) return { ok: false, reason: 'fractions are not allowed (write 1h30m, not 1.5h)' };
  if (/^(\d+[a-z]*)+$/i.test(text)) {
    for (const [, n, unit] of text.matchAll(/(\d+)([a-z]*)/gi)) {
      if (unit === '') return { ok: false, reason: `"${n ?? ''}" has no unit (only a lone number means seconds)` };
      if (!/^[wdhms]$/i.test(unit ?? '')) return { ok: false, reason: `unknown unit "${unit ?? ''}"` };
    }
  }
  return { ok: false };
}

function withinRange(ms: number): Checked {
  return Number.isSafeInteger(ms) ? { ok: true, ms } : { ok: false, reason: 'too large' };
}

/** `1w2d12h`, `300s`, `10m`, `1h30m`, bare integer = seconds; units case-insensitive. Returns milliseconds. */
export function parseTimeInterval(text: string): number {
  const result = check(text);
  if (!result.ok) throw fail('time-interval', TIME_INTERVAL_EXPECTED, text, result.reason);
  return result.ms;
}

/** `10m,10m,1h` (spaces around commas allowed), non-empty. Returns milliseconds. */
export function parseTimeIntervalList(text: string): number[] {
  const items = text.split(',').map((item) => item.trim());
  return items.map((item) => {
    const result = check(item);
    if (result.ok) return result.ms;
    const reason =
      item === ''
        ? 'an interval is missing between commas'
        : /\s/.test(item)
          ? 'separate the intervals with commas'
          : items.length === 1
          ? result.reason
          : `"${item}" is not a time interval${result.reason === undefined ? '' : ` (${result.reason})`}`;
    throw fail('time-interval-list', TIME_INTERVAL_LIST_EXPECTED, text, reason);
  });
}

export const timeIntervalType: ValueType<number> = {
  name: 'time-interval',
  expected: TIME_INTERVAL_EXPECTED,
  parse: (raw, words) => parseTimeInterval(singleWord('time-interval', TIME_INTERVAL_EXPECTED, raw, words)),
  schema: { type: 'integer', minimum: 0 },
};

export const timeIntervalListType: ValueType<number[]> = {
  name: 'time-interval-list',
  expected: TIME_INTERVAL_LIST_EXPECTED,
  parse: (raw, words) => parseTimeIntervalList(valueText(raw, words)),
  schema: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1 },
};
