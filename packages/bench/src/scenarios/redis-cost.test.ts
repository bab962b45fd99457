import { describe, expect, it } from 'vitest';
import { UsageError } from '../args.js';
import { redisCostMessages } from './redis-cost.js';

describe('the message count of the redis-cost paths (BENCH_REDIS_COST_MESSAGES)', () => {
  it.each<[string | undefined, boolean, number]>([
    [undefined, false, 400],
    [undefined, true, 100],
    ['', false, 400],
    ['2000', false, 2000],
    ['2000', true, 2000],
    ['1', false, 1],
  ])('takes %j (quick %s) as %i messages', (value, quick, expected) => {
    expect(redisCostMessages(value, quick)).toBe(expected);
  });

  it.each(['0', '-5', '1.5', 'many', '2000000'])('refuses %j with a usage error', (value) => {
    expect(() => redisCostMessages(value, false)).toThrow(UsageError);
  });
});
