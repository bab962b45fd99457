/** A bound on a time interval is said as the operator writes intervals, not in the milliseconds it is kept in. */
import { describe, expect, it } from 'vitest';
import { checkConfigText } from './load.js';

describe('bounds of time-interval directives', () => {
  it.each([
    ['redis-wait-timeout 0', 'redis-wait-timeout: must be at least 1s'],
    ['redis-wait-timeout 500', undefined],
    ['redis-wait-replicas -1', 'redis-wait-replicas: "-1" is not'],
  ])('%s', (line, message) => {
    const errors = checkConfigText(`${line}\n`, 'x.conf').errors.map((e) => e.message);
    if (message === undefined) expect(errors).toEqual([]);
    else expect(errors).toEqual([expect.stringContaining(message)]);
  });
});
