import { describe, expect, it } from 'vitest';
import { parseValue, ValueError } from './index.js';

const EXPECTED = 'expected a number of bytes with optional K, M or G suffix (1024-based), e.g. 40K or 50M, or unlimited';

describe('size', () => {
  it.each<[string, number | 'unlimited']>([
    ['123', 123],
    ['0', 0],
    ['123B', 123],
    ['40K', 40 * 1024],
    ['40k', 40 * 1024],
    ['40KB', 40 * 1024],
    ['50M', 50 * 1024 * 1024],
    ['50mb', 50 * 1024 * 1024],
    ['1G', 1024 ** 3],
    ['unlimited', 'unlimited'],
    ['Unlimited', 'unlimited'],
  ])('parses %j as %j', (raw, bytes) => {
    expect(parseValue('size', raw)).toBe(bytes);
  });

  it.each<[string, string]>([
    ['50X', `"50X" is not a SIZE: unknown unit "X" (${EXPECTED})`],
    ['1.5M', `"1.5M" is not a SIZE: fractions are not allowed (${EXPECTED})`],
    ['-1', `"-1" is not a SIZE: it must not be negative (${EXPECTED})`],
    ['M', `"M" is not a SIZE (${EXPECTED})`],
    ['infinite', `"infinite" is not a SIZE (${EXPECTED})`],
    ['9999999999999G', `"9999999999999G" is not a SIZE: too large (${EXPECTED})`],
  ])('rejects %j', (raw, message) => {
    expect(() => parseValue('size', raw)).toThrow(ValueError);
    expect(() => parseValue('size', raw)).toThrow(message);
  });
});
