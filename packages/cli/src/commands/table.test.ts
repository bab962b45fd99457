import { describe, expect, it } from 'vitest';
import { formatDuration, renderTable } from './table.js';

describe('durations for people', () => {
  it.each([
    [0, '0s'],
    [59.4, '59s'],
    [60, '1m00s'],
    [3599, '59m59s'],
    [3720, '1h02m'],
    [86_399, '23h59m'],
    [200_000, '2d07h'],
    [-5, '0s'],
  ])('%s seconds → %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('aligned tables', () => {
  it('pads columns to their widest cell, numbers to the right, without trailing blanks', () => {
    expect(renderTable([['NAME', 'N', 'NOTE'], ['a', '10', ''], ['longer', '2', 'x']], [1])).toEqual(['NAME     N  NOTE', 'a       10', 'longer   2  x']);
  });
});
