import { fail, singleWord } from './common.js';
import type { ValueType } from './value-type.js';

export type SizeValue = number | 'unlimited';

export const SIZE_EXPECTED = 'a number of bytes with optional K, M or G suffix (1024-based), e.g. 40K or 50M, or unlimited';

const MULTIPLIER: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `40K`, `50M`, `1G`, `123`, optional trailing `B`, case-insensitive, or `unlimited`. Returns bytes. */
export function parseSize(text: string): SizeValue {
  if (text.toLowerCase() === 'unlimited') return 'unlimited';
  const m = /^(\d+)([kmg]?)b?$/i.exec(text);
  if (m === null) {
    if (text.startsWith('-')) throw fail('size', SIZE_EXPECTED, text, 'it must not be negative');
    if (/^\d+[.,]\d/.test(text)) throw fail('size', SIZE_EXPECTED, text, 'fractions are not allowed');
    const unit = /^\d+([a-z]+)$/i.exec(text)?.[1];
    throw fail('size', SIZE_EXPECTED, text, unit === undefined ? undefined : `unknown unit "${unit}"`);
  }
  const bytes = Number(m[1]) * (MULTIPLIER[(m[2] ?? '').toLowerCase()] ?? Number.NaN);
  if (!Number.isSafeInteger(bytes)) throw fail('size', SIZE_EXPECTED, text, 'too large');
  return bytes;
}

export const sizeType: ValueType<SizeValue> = {
  name: 'size',
  expected: SIZE_EXPECTED,
  parse: (raw, words) => parseSize(singleWord('size', SIZE_EXPECTED, raw, words)),
  schema: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', const: 'unlimited' }] },
};
