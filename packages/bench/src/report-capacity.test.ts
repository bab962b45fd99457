import { describe, expect, it } from 'vitest';
import { redisCeiling } from './report.js';

describe('capacity: what one Redis core would carry at the measured cost', () => {
  it.each([
    // msg/s, Redis CPU %, ms per message, msg/s at one core
    [826, 32, 0.387, 2581],
    [1000, 100, 1, 1000],
    [500, 10, 0.2, 5000],
  ])('%i msg/s with Redis at %i %% of a core: %f ms per message, %i msg/s', (rate, pct, ms, ceiling) => {
    const c = redisCeiling(rate, pct)!;
    expect(c.cpuMsPerMsg).toBeCloseTo(ms, 3);
    expect(Math.round(c.msgPerSec)).toBe(ceiling);
  });

  it.each([
    [0, 30],
    [800, 0],
    [Number.NaN, 30],
  ])('no projection without a rate and a Redis CPU figure (%f msg/s, %f %%)', (rate, pct) => {
    expect(redisCeiling(rate, pct)).toBeUndefined();
  });
});
