import { describe, expect, it } from 'vitest';
import { CLAIM_PACE_FORGET_MS, ClaimPace, paceTake } from './claim-pace.js';

describe('paceTake', () => {
  it.each([
    { name: 'nothing known: the share decides', ms: undefined, limit: 50, take: 1 },
    { name: 'a fast receiver (2 ms a message): the whole batch', ms: 2, limit: 50, take: 50 },
    { name: 'a fast receiver, a small batch limit', ms: 2, limit: 10, take: 10 },
    { name: '20 ms a message: ten', ms: 20, limit: 50, take: 10 },
    { name: 'a slow receiver (a second a message): the share decides', ms: 1_000, limit: 50, take: 1 },
    { name: 'instant (0 ms): the batch', ms: 0, limit: 50, take: 50 },
    { name: 'not a number: the share decides', ms: Number.NaN, limit: 50, take: 1 },
  ])('$name', ({ ms, limit, take }) => {
    expect(paceTake(ms, limit)).toBe(take);
  });
});

describe('ClaimPace', () => {
  it('averages the batches of each queue and forgets a stale one', () => {
    const pace = new ClaimPace();
    expect(pace.take('a/mta1', 50, 0)).toBe(1);
    pace.observe('a/mta1', 10, 1_000, 0);
    expect(pace.current('a/mta1', 0)).toBe(100);
    pace.observe('a/mta1', 10, 200, 1);
    expect(pace.current('a/mta1', 1)).toBeCloseTo(76);
    expect(pace.take('a/mta1', 50, 1)).toBe(2);
    expect(pace.current('b/mta1', 1)).toBeUndefined();
    expect(pace.take('a/mta1', 50, 2 + CLAIM_PACE_FORGET_MS)).toBe(1);
  });

  it('ignores a batch that sent nothing', () => {
    const pace = new ClaimPace();
    pace.observe('a/mta1', 0, 0, 0);
    expect(pace.current('a/mta1', 0)).toBeUndefined();
  });
});
