/**
 * Per-minute counters of the cluster (received, delivered, bounced, deferred
 * recipients): one small hash per minute, written in the same MULTI (or Lua
 * script) as the totals, so the history and the totals never disagree.
 */
import type { ChainableCommander } from 'ioredis';
import type { Keys } from './keys.js';

export const MINUTE_MS = 60_000;

/**
 * How long a minute's counters are kept. GET /history serves up to a day, so a
 * day and an hour: about 1,500 small hashes at most.
 */
export const MINUTE_COUNTERS_TTL_SECONDS = 25 * 3600;

export const MINUTE_FIELDS = ['received', 'delivered', 'bounced', 'deferred'] as const;
export type MinuteField = (typeof MINUTE_FIELDS)[number];

/** The minute a time (ms) falls in, as a number of minutes since the epoch. */
export function epochMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS);
}

/** Queues HINCRBYs of the minute holding `at` (and its expiry) on a MULTI; zero counts are left out. */
export function countMinute(multi: ChainableCommander, keys: Keys, at: number, counts: Partial<Record<MinuteField, number>>): void {
  const key = keys.minuteCounters(epochMinute(at));
  const fields = MINUTE_FIELDS.filter((f) => (counts[f] ?? 0) > 0);
  if (fields.length === 0) return;
  for (const f of fields) multi.hincrby(key, f, counts[f]!);
  multi.expire(key, MINUTE_COUNTERS_TTL_SECONDS);
}
