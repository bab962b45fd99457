import { loadConfigText } from '@vmta/config';
import { describe, expect, it } from 'vitest';
import { injectRateOf, retryAfterSeconds } from './inject-rate.js';

describe('injectRateOf', () => {
  const config = loadConfigText(['<smtp-user a>', '  password x', '  http-inject-max-request-rate 100/10m', '</smtp-user>', '<smtp-user b>', '  password y', '</smtp-user>', '<smtp-user c>', '  password z', '  http-inject-max-request-rate 0', '</smtp-user>'].join('\n'));
  it.each([
    ['a', { count: 100, perMs: 600_000 }],
    ['b', undefined],
    ['c', { count: 0, perMs: 1000 }],
    ['nobody', undefined],
  ])('gives user %s the rate %j', (user, rate) => {
    expect(injectRateOf(config, user)).toEqual(rate);
  });
});

describe('retryAfterSeconds', () => {
  it.each([
    // [rate, now, seconds until the fixed window ends]
    [{ count: 5, perMs: 60_000 }, 0, 60],
    [{ count: 5, perMs: 60_000 }, 59_000, 1],
    [{ count: 5, perMs: 60_000 }, 59_999, 1],
    [{ count: 5, perMs: 60_000 }, 60_000, 60],
    [{ count: 5, perMs: 60_000 }, 90_500, 30],
    [{ count: 1, perMs: 1000 }, 1_234, 1],
    [{ count: 10, perMs: 3_600_000 }, 3_600_000 * 7 + 1_000, 3599],
  ])('for %j at %i ms answers %i s', (rate, now, seconds) => {
    expect(retryAfterSeconds(rate, now)).toBe(seconds);
  });
});
