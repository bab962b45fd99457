import { describe, expect, it } from 'vitest';
import { parseValue, ValueError, type RateValue } from './index.js';

describe('rate', () => {
  it.each<[string, RateValue]>([
    ['unlimited', 'unlimited'],
    ['UNLIMITED', 'unlimited'],
    ['0', { count: 0, perMs: 1000 }],
    ['83/10m', { count: 83, perMs: 600_000 }],
    ['100/h', { count: 100, perMs: 3_600_000 }],
    ['100/hr', { count: 100, perMs: 3_600_000 }],
    ['1/s', { count: 1, perMs: 1000 }],
    ['5/sec', { count: 5, perMs: 1000 }],
    ['20/min', { count: 20, perMs: 60_000 }],
    ['10/2hr', { count: 10, perMs: 7_200_000 }],
    ['1000/d', { count: 1000, perMs: 86_400_000 }],
    ['1000/day', { count: 1000, perMs: 86_400_000 }],
    ['3/30S', { count: 3, perMs: 30_000 }],
    ['0/h', { count: 0, perMs: 3_600_000 }],
  ])('parses %j', (raw, rate) => {
    expect(parseValue('rate', raw)).toEqual(rate);
  });

  const EXPECTED = '(expected unlimited, 0 or N/[M]{s|sec|m|min|h|hr|d|day}, e.g. 83/10m)';
  it.each<[string, string]>([
    ['10/fortnight', `"10/fortnight" is not a RATE ${EXPECTED}`],
    ['10', `"10" is not a RATE ${EXPECTED}`],
    ['10/', `"10/" is not a RATE ${EXPECTED}`],
    ['/h', `"/h" is not a RATE ${EXPECTED}`],
    ['1.5/h', `"1.5/h" is not a RATE ${EXPECTED}`],
    ['-1/h', `"-1/h" is not a RATE ${EXPECTED}`],
    ['10/0m', `"10/0m" is not a RATE: the period must not be 0 ${EXPECTED}`],
    ['10 / h', `"10 / h" is not a RATE: expected a single value but found spaces ${EXPECTED}`],
  ])('rejects %j', (raw, message) => {
    expect(() => parseValue('rate', raw)).toThrow(ValueError);
    expect(() => parseValue('rate', raw)).toThrow(message);
  });

  it('produces exactly the documented message for 10/fortnight', () => {
    expect(() => parseValue('rate', '10/fortnight')).toThrowError(
      new ValueError(
        '"10/fortnight" is not a RATE (expected unlimited, 0 or N/[M]{s|sec|m|min|h|hr|d|day}, e.g. 83/10m)',
      ),
    );
  });
});
