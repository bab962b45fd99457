/** Retry schedule: pure functions over `retry-after`, `retry-recipients-after` and `bounce-after` (all ms). */

/** PowerMTA's default `retry-after` (10m), used when the list is empty. */
export const DEFAULT_RETRY_AFTER_MS = 600_000;

/**
 * How long a queue waits after its n-th failed connection/transaction in a row: the n-th value of
 * `retry-after`, the last value repeating. 0 failures (the count resets after a success) = no wait.
 */
export function nextQueueRetry(retryAfter: readonly number[], consecutiveFailures: number): number {
  if (consecutiveFailures <= 0) return 0;
  if (retryAfter.length === 0) return DEFAULT_RETRY_AFTER_MS;
  return retryAfter[Math.min(Math.floor(consecutiveFailures), retryAfter.length) - 1]!;
}

/** Earliest time (epoch ms) a recipient that got a 4xx at `lastAttempt` may be tried again. */
export function recipientNotBefore(lastAttempt: number, retryRecipientsAfter: number): number {
  return lastAttempt + Math.max(0, retryRecipientsAfter);
}

/** True once a message received at `receivedAt` is `bounceAfter` old or older (then it bounces, 4.4.7). */
export function isExpired(receivedAt: number, bounceAfter: number, now: number): boolean {
  return now - receivedAt >= bounceAfter;
}
