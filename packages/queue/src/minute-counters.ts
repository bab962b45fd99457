/**
 * Per-minute counters of the cluster (received, delivered, bounced, deferred
 * recipients): one small hash per minute, written in the same script as the
 * totals (enqueue, recordOutcomes), so the history and the totals never
 * disagree. They expire after MINUTE_COUNTERS_TTL_SECONDS (scripts/constants.ts).
 */

export const MINUTE_MS = 60_000;

export const MINUTE_FIELDS = ['received', 'delivered', 'bounced', 'deferred'] as const;
export type MinuteField = (typeof MINUTE_FIELDS)[number];

/** The minute a time (ms) falls in, as a number of minutes since the epoch. */
export function epochMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS);
}
