import { describe, expect, it } from 'vitest';
import { PRIORITY_LEAD_MS, readyAtFor } from './priority.js';

describe('readyAtFor: where recipient-priority puts a new message in its queues', () => {
  const t = 1_800_000_000_000;
  it.each([
    ['no priority', undefined, t],
    ['the default, 50', 50, t],
    ['below the default: never later than its receipt', 10, t],
    ['0', 0, t],
    ['51: one lead ahead', 51, t - PRIORITY_LEAD_MS],
    ['90: 40 leads ahead', 90, t - 40 * PRIORITY_LEAD_MS],
    ['100: 50 leads ahead', 100, t - 50 * PRIORITY_LEAD_MS],
    ['above 100 (refused by the config): as 100', 250, t - 50 * PRIORITY_LEAD_MS],
  ])('%s', (_, priority, expected) => {
    expect(readyAtFor(t, priority)).toBe(expected);
  });
});
