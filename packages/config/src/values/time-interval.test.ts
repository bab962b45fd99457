import { describe, expect, it } from 'vitest';
import { parseValue, ValueError } from './index.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const W = 7 * D;
const EXPECTED =
  'expected a number with unit w, d, h, m or s, combinable, e.g. 1w2d12h, 1h30m, 10m, or a bare number of seconds';

describe('time-interval', () => {
  it.each<[string, number]>([
    ['1w2d12h', W + 2 * D + 12 * H],
    ['300s', 300 * S],
    ['10m', 10 * M],
    ['1h30m', H + 30 * M],
    ['2d', 2 * D],
    ['4d12h', 4 * D + 12 * H],
    ['300', 300 * S],
    ['0', 0],
    ['0s', 0],
    ['10M', 10 * M],
    ['1H30M', H + 30 * M],
    ['1W', W],
    ['"2m"', 2 * M],
  ])('parses %j as %d ms', (raw, ms) => {
    expect(parseValue('time-interval', raw)).toBe(ms);
  });

  it.each<[string, string]>([
    ['10x', `"10x" is not a TIME-INTERVAL: unknown unit "x" (${EXPECTED})`],
    ['1.5h', `"1.5h" is not a TIME-INTERVAL: fractions are not allowed (write 1h30m, not 1.5h) (${EXPECTED})`],
    ['-5m', `"-5m" is not a TIME-INTERVAL: it must not be negative (${EXPECTED})`],
    ['h', `"h" is not a TIME-INTERVAL (${EXPECTED})`],
    ['1h30', `"1h30" is not a TIME-INTERVAL: "30" has no unit (only a lone number means seconds) (${EXPECTED})`],
    ['1hx', `"1hx" is not a TIME-INTERVAL: unknown unit "hx" (${EXPECTED})`],
    ['10 m', `"10 m" is not a TIME-INTERVAL: expected a single value but found spaces (${EXPECTED})`],
    ['5min', `"5min" is not a TIME-INTERVAL: unknown unit "min" (${EXPECTED})`],
  ])('rejects %j', (raw, message) => {
    expect(() => parseValue('time-interval', raw)).toThrow(ValueError);
    expect(() => parseValue('time-interval', raw)).toThrow(message);
  });

  it('rejects an empty quoted value', () => {
    expect(() => parseValue('time-interval', '""')).toThrow('the value is empty');
  });
});

describe('time-interval-list', () => {
  it.each<[string, number[]]>([
    ['10m', [10 * M]],
    ['10m,10m,1h', [10 * M, 10 * M, H]],
    ['10m, 10m ,  1h', [10 * M, 10 * M, H]],
    ['30s,5m,1h30m,300', [30 * S, 5 * M, H + 30 * M, 300 * S]],
    ['"1m, 2m"', [M, 2 * M]],
  ])('parses %j', (raw, list) => {
    expect(parseValue('time-interval-list', raw)).toEqual(list);
  });

  it.each<[string, string]>([
    ['10m,,1h', '"10m,,1h" is not a TIME-INTERVAL-LIST: an interval is missing between commas (expected comma-separated TIME-INTERVALs like 10m,10m,1h)'],
    ['10m,', 'an interval is missing between commas'],
    ['10m,1x', '"10m,1x" is not a TIME-INTERVAL-LIST: "1x" is not a time interval (unknown unit "x")'],
    ['10m 1h', '"10m 1h" is not a TIME-INTERVAL-LIST: separate the intervals with commas (expected comma-separated TIME-INTERVALs like 10m,10m,1h)'],
    ['5x', '"5x" is not a TIME-INTERVAL-LIST: unknown unit "x" (expected comma-separated TIME-INTERVALs like 10m,10m,1h)'],
    ['1.5h', '"1.5h" is not a TIME-INTERVAL-LIST: fractions are not allowed (write 1h30m, not 1.5h)'],
  ])('rejects %j', (raw, message) => {
    expect(() => parseValue('time-interval-list', raw)).toThrow(message);
  });
});
