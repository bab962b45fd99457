import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_AFTER_MS, isExpired, nextQueueRetry, recipientNotBefore } from './retry-schedule.js';

const m = 60_000;

describe('nextQueueRetry', () => {
  it.each([
    // retry-after, consecutive failures, wait
    [[5 * m, 10 * m, 60 * m], 0, 0],
    [[5 * m, 10 * m, 60 * m], 1, 5 * m],
    [[5 * m, 10 * m, 60 * m], 2, 10 * m],
    [[5 * m, 10 * m, 60 * m], 3, 60 * m],
    [[5 * m, 10 * m, 60 * m], 4, 60 * m],
    [[5 * m, 10 * m, 60 * m], 1000, 60 * m],
    [[10 * m], 1, 10 * m],
    [[10 * m], 7, 10 * m],
    [[], 3, DEFAULT_RETRY_AFTER_MS],
  ])('with retry-after %j waits after %i failures in a row %i ms', (list, failures, wait) => {
    expect(nextQueueRetry(list, failures)).toBe(wait);
  });
});

describe('recipientNotBefore', () => {
  it('is the last attempt plus retry-recipients-after', () => {
    expect(recipientNotBefore(1_000_000, 10 * m)).toBe(1_000_000 + 10 * m);
    expect(recipientNotBefore(1_000_000, 0)).toBe(1_000_000);
  });
});

describe('isExpired', () => {
  const day = 24 * 60 * m;
  it.each([
    // received, bounce-after, now, expired
    [0, 4.5 * day, 4.5 * day - 1, false],
    [0, 4.5 * day, 4.5 * day, true],
    [0, 4.5 * day, 5 * day, true],
    [1000, 0, 1000, true],
  ])('a message received at %i with bounce-after %i is expired at %i: %s', (received, bounceAfter, now, expired) => {
    expect(isExpired(received, bounceAfter, now)).toBe(expired);
  });
});
