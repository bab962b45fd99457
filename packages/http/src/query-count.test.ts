import { describe, expect, it } from 'vitest';
import { QueryCountError } from './errors.js';
import { queryCount } from './query-count.js';

const rule = { min: 1, max: 1440, default: 60 };
const read = (qs: string) => queryCount(new URLSearchParams(qs), 'minutes', rule);

describe('queryCount', () => {
  it.each([
    ['', 60],
    ['minutes=', 60],
    ['minutes=1', 1],
    ['minutes=0', 1],
    ['minutes=90', 90],
    ['minutes=0090', 90],
    ['minutes=1440', 1440],
    ['minutes=1441', 1440],
    [`minutes=${'9'.repeat(400)}`, 1440],
  ])('reads %j as %j', (qs, want) => {
    expect(read(qs)).toBe(want);
  });

  it.each(['minutes=-5', 'minutes=1.5', 'minutes=1e3', 'minutes=+5', 'minutes=%205', 'minutes=0x10', 'minutes=abc', 'minutes=Infinity', 'minutes=5&minutes=6'])('refuses %j with a message naming the parameter and its range', (qs) => {
    expect(() => read(qs)).toThrow(QueryCountError);
    expect(() => read(qs)).toThrow(/^minutes: a whole number from 1 to 1440/);
  });

  it('gives undefined for an absent count without a default', () => {
    expect(queryCount(new URLSearchParams(''), 'wait', { min: 0, max: 30 })).toBeUndefined();
  });
});
