/**
 * recipient-priority (PowerMTA <pattern-list> result, 0-100, default 50): where a message's first
 * attempt goes in its queues. Tokens claim due mail in order of its ready score, so mail of a
 * priority above 50 is written due PRIORITY_LEAD_MS earlier per point: a priority of 90 goes before
 * mail of the default priority received up to 40 minutes after it, 100 up to 50 minutes. A priority
 * of 50 or less queues at its receipt time like any other mail: lowering it further would have to
 * make mail wait while its queue is idle, which a priority must not do. Retries are ordered by their
 * retry time only. Pure.
 */

/** How much earlier (ms) each point of priority above 50 puts a message in its queues. */
export const PRIORITY_LEAD_MS = 60_000;
export const DEFAULT_PRIORITY = 50;

/** When a new message of this priority is due in its queues. */
export function readyAtFor(receivedAt: number, priority: number | undefined): number {
  if (priority === undefined || priority <= DEFAULT_PRIORITY) return receivedAt;
  return receivedAt - (Math.min(priority, 100) - DEFAULT_PRIORITY) * PRIORITY_LEAD_MS;
}
