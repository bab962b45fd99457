import { describe, expect, it } from 'vitest';
import { deleteAfterMs, isRotatedName, mustMoveForAge, mustMoveForSize, rotatedPath } from './rotation-policy.js';
import { compareIds, nextId, trimFloor } from './stream-trim.js';

describe('rotation names', () => {
  const at = new Date(Date.UTC(2024, 4, 1, 13, 5, 9));
  it.each([
    ['/log/acct.csv', 0, '/log/acct-2024-05-01-130509.csv'],
    ['/log/acct.CSV', 0, '/log/acct-2024-05-01-130509.csv'],
    ['/log/acct', 0, '/log/acct-2024-05-01-130509.csv'],
    ['/log/acct.csv', 2, '/log/acct-2024-05-01-130509-2.csv'],
  ])('moves %s (attempt %d) to %s', (file, attempt, expected) => {
    expect(rotatedPath(file, at, attempt)).toBe(expected);
  });

  it.each([
    ['acct-2024-05-01-130509.csv', true],
    ['acct-2024-05-01-130509-3.csv', true],
    ['acct.csv', false],
    ['acct-old.csv', false],
    ['acctx-2024-05-01-130509.csv', false],
    ['other-2024-05-01-130509.csv', false],
  ])('knows whether %s is a moved copy of acct.csv: %s', (name, expected) => {
    expect(isRotatedName('/log/acct.csv', name)).toBe(expected);
  });
});

describe('rotation limits', () => {
  it.each([
    [0, 500, { maxSize: 100 }, false],
    [90, 5, { maxSize: 100 }, false],
    [90, 11, { maxSize: 100 }, true],
    [90, 11, { maxSize: 'unlimited' as const }, false],
    [90, 11, {}, false],
  ])('size %d + %d bytes under %j must move: %s', (size, add, limits, expected) => {
    expect(mustMoveForSize(size, add, limits)).toBe(expected);
  });

  it.each([
    [10, 0, 60_000, { moveIntervalMs: 60_000 }, true],
    [10, 0, 59_999, { moveIntervalMs: 60_000 }, false],
    [0, 0, 120_000, { moveIntervalMs: 60_000 }, false],
    [10, 0, 120_000, {}, false],
  ])('size %d opened at %d, now %d, %j must move: %s', (size, opened, now, limits, expected) => {
    expect(mustMoveForAge(size, opened, now, limits)).toBe(expected);
  });

  it.each([
    [undefined, undefined],
    [null, undefined],
    ['never', undefined],
    ['NEVER', undefined],
    ['7d', 7 * 86_400_000],
    ['1h30m', 5_400_000],
  ])('reads delete-after %j as %j ms', (text, expected) => {
    expect(deleteAfterMs(text)).toBe(expected);
  });

  it('rejects a delete-after that is no interval', () => {
    expect(() => deleteAfterMs('soon')).toThrow();
  });
});

describe('stream trim floor', () => {
  it.each([
    [[], undefined],
    [[{ name: 'a', lastDeliveredId: '0-0' }], '0-1'],
    [[{ name: 'a', lastDeliveredId: '5-3' }], '5-4'],
    [[{ name: 'a', lastDeliveredId: '9-0', oldestPendingId: '7-2' }], '7-2'],
    [[{ name: 'a', lastDeliveredId: '9-0', oldestPendingId: '7-2' }, { name: 'b', lastDeliveredId: '3-0' }], '3-1'],
    [[{ name: 'a', lastDeliveredId: '100-0' }, { name: 'b', lastDeliveredId: '20-5', oldestPendingId: '20-1' }], '20-1'],
  ])('for groups %j keeps everything from %s', (groups, expected) => {
    expect(trimFloor(groups)).toBe(expected);
  });

  it('compares ids numerically, not as text', () => {
    expect(compareIds('9-0', '10-0')).toBe(-1);
    expect(compareIds('10-2', '10-10')).toBe(-1);
    expect(compareIds('10-2', '10-2')).toBe(0);
    expect(nextId('1700000000000-9')).toBe('1700000000000-10');
  });
});
