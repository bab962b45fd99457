/**
 * Per-minute counters of the cluster (received, delivered, bounced, deferred
 * recipients): one small hash per minute, written in the same MULTI (or Lua
 * script) as the totals, so the history and the totals never disagree.
 */

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
