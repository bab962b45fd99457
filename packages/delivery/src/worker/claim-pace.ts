/**
 * How much a claim takes when the queue's connections are fast. The share claim (due ÷ max-smtp-out,
 * scripts/claim-share.ts) spreads a small backlog over connections so that a slow receiver gets it
 * in parallel. With a fast receiver, and mail arriving at 100–500 msg/s, that share is one message:
 * every message then costs its own claim and read, and the rest it leaves wakes the next slot (a
 * BullMQ token, takeSlot, an empty claim, a listener wake when that claim clears the awake mark).
 *
 * So a run remembers how long its queue's messages took in this process (wall time per message on
 * an open connection: the transaction and the outcome's recording, not the connection's set-up; a
 * moving average) and, when that is short, claims what
 * its connection delivers within CLAIM_PACE_TARGET_MS at once, or its share when that is more.
 * Spreading those would shorten their wait by at most that target. A slow receiver (a second per
 * message) gives 0 here: the share alone decides, as before. Nothing is known for a queue no run of
 * this process delivered lately (CLAIM_PACE_FORGET_MS): the share alone again.
 *
 * max-smtp-out stays exact (the claim is still one slot's), and nothing changes for safety: what a
 * run claimed is in its slot's in-flight set, given back by recovery when the process dies.
 */

/** A claim takes at most what the connection delivers in this long. */
export const CLAIM_PACE_TARGET_MS = 200;
/** A measurement older than this is forgotten (the receiver may have changed). */
export const CLAIM_PACE_FORGET_MS = 60_000;
/** Weight of the newest observation in the moving average. */
const NEWEST = 0.3;
/** Queues remembered per process (the oldest forgotten first). */
const REMEMBERED = 10_000;

/** How many a claim takes at least, given the queue's wall time per message (pure); 1: the share decides. */
export function paceTake(msPerMessage: number | undefined, limit: number, targetMs = CLAIM_PACE_TARGET_MS): number {
  if (msPerMessage === undefined || !Number.isFinite(msPerMessage) || msPerMessage < 0) return 1;
  return Math.max(1, Math.min(limit, Math.floor(targetMs / Math.max(msPerMessage, 0.1))));
}

/** Per queue: this process's recent wall time per delivered message. */
export class ClaimPace {
  private readonly paces = new Map<string, { ms: number; at: number }>();

  /** `messages` of `queue` took `ms` on an open connection (from the transaction's start to the outcome's recording). */
  observe(queue: string, messages: number, ms: number, now: number): void {
    if (messages <= 0 || ms < 0) return;
    const each = ms / messages;
    const old = this.current(queue, now);
    this.paces.delete(queue);
    this.paces.set(queue, { ms: old === undefined ? each : NEWEST * each + (1 - NEWEST) * old, at: now });
    if (this.paces.size > REMEMBERED) this.paces.delete(this.paces.keys().next().value!);
  }

  /** Wall time per message of `queue`, unless unknown or stale. */
  current(queue: string, now: number): number | undefined {
    const p = this.paces.get(queue);
    return p && now - p.at <= CLAIM_PACE_FORGET_MS ? p.ms : undefined;
  }

  /** How many the next claim of `queue` takes at least (at most `limit`). */
  take(queue: string, limit: number, now: number): number {
    return paceTake(this.current(queue, now), limit);
  }
}
