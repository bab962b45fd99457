import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS, latencyBucket } from './latency.js';

describe('latencyBucket', () => {
  it.each([
    [0, 0],
    [1, 0],
    [1.01, 1],
    [5, 1],
    [59, 3],
    [3600, 6],
    [86_400, 8],
    [86_401, LATENCY_BUCKETS.length],
  ])('%s s falls in bucket %i', (seconds, bucket) => {
    expect(latencyBucket(seconds)).toBe(bucket);
  });
});
