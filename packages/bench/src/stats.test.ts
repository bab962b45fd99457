import { describe, expect, it } from 'vitest';
import { percentile, perSecond, ratio } from './stats.js';

describe('percentile (nearest rank)', () => {
  const samples = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  it.each([
    [50, 5],
    [90, 9],
    [99, 10],
    [100, 10],
    [0, 1],
    [10, 1],
    [11, 2],
  ])('p%d of 1..10 is %d', (p, expected) => {
    expect(percentile(samples, p)).toBe(expected);
  });
  it('is NaN without samples', () => expect(percentile([], 50)).toBeNaN());
});

describe('rates and ratios', () => {
  it.each([
    [1000, 2000, 500],
    [10, 0, 0],
  ])('%d events in %d ms = %d/s', (n, ms, rate) => expect(perSecond(n, ms)).toBe(rate));
  it.each([
    [1500, 1000, 1.5],
    [1, 0, undefined],
    [undefined, 10, undefined],
    [Number.NaN, 10, undefined],
  ])('ratio(%s, %s) = %s', (a, b, r) => expect(ratio(a, b)).toBe(r));
});
