/**
 * Mail that trickles in (senders that open a connection per message): each token run finds one or
 * two messages, ends, and the next message starts the whole cycle again (the listener's wake, a
 * BullMQ job taken and finished, the slot taken and let go: about 20 Redis commands a message).
 * A run of a queue's slot 0 whose queue ran dry, when a run of the same queue ended shortly before this one started,
 * waits a moment for more instead of ending: it keeps the queue's awake mark (so enqueues add no
 * token) and looks for due mail every TRICKLE_PROBE_MS (one ZRANGE) for up to TRICKLE_LINGER_MS.
 *
 * Safety is the run's as before: it still holds its slot (max-smtp-out stays exact, claims stay
 * fenced), holds no mail while it waits, and closes its connections first (connection-idle-timeout
 * decides how long a connection stays open, not this). The caller claims once more after the wait:
 * that claim takes what came or, finding nothing, clears the awake mark atomically, so mail queued
 * after it wakes a token as usual. A process that dies while waiting is like one that dies between
 * claims: its slot is recovered and its token woken (slot-recovery.ts). Waiting runs are bounded
 * per process (a quarter of the lane's concurrency), so they never crowd out other queues' tokens.
 */
import { lingerForMail } from './linger.js';
import type { QueueOps } from '@vmta/queue';

/** How long a run waits for trickling mail. */
export const TRICKLE_LINGER_MS = 1_000;
/** How often it looks. */
export const TRICKLE_PROBE_MS = 100;
/** A queue counts as trickling when its previous run ended at most this long before the new one started. */
export const TRICKLE_WINDOW_MS = 2_000;
/** Queues remembered per process (the oldest forgotten first). */
const REMEMBERED = 10_000;

/** Whether a run that found its queue empty waits for more (pure). */
export function mayLingerForTrickle(slot: number, previousEnd: number | undefined, runStartedAt: number, lingering: number, maxLingering: number): boolean {
  // A trickle needs one connection: the queue's other slots help with a backlog only (several waiting would race for each message).
  if (slot !== 0 || previousEnd === undefined || lingering >= maxLingering) return false;
  return runStartedAt - previousEnd <= TRICKLE_WINDOW_MS;
}

/** When this process's runs of each queue ended, and how many runs wait now. */
export class TrickleRuns {
  private readonly ends = new Map<string, number>();
  lingering = 0;
  constructor(readonly maxLingering: number) {}

  ended(queue: string, at: number): void {
    this.ends.delete(queue);
    this.ends.set(queue, at);
    if (this.ends.size > REMEMBERED) this.ends.delete(this.ends.keys().next().value!);
  }

  previousEnd(queue: string): number | undefined {
    return this.ends.get(queue);
  }
}

export interface TrickleInput {
  deps: { trickle?: TrickleRuns | undefined; ops: Pick<QueueOps, 'nextDue' | 'markAwake'>; stopping?: (() => boolean) | undefined };
  queue: string;
  slot: number;
  runStartedAt: number;
  now: () => number;
  closeSessions: () => Promise<void>;
}

/** Whether a run of `queue` that started at `runStartedAt` would wait for trickling mail now (lingerForTrickle's test). */
export function mayTrickle(runs: TrickleRuns | undefined, queue: string, slot: number, runStartedAt: number): runs is TrickleRuns {
  return runs !== undefined && mayLingerForTrickle(slot, runs.previousEnd(queue), runStartedAt, runs.lingering, runs.maxLingering);
}

/** Waits for trickling mail when the queue trickles; true when it waited (the caller then claims once more). */
export async function lingerForTrickle(input: TrickleInput): Promise<boolean> {
  const { deps, queue, now } = input;
  const runs = deps.trickle;
  if (!mayTrickle(runs, queue, input.slot, input.runStartedAt)) return false;
  runs.lingering++;
  try {
    await input.closeSessions();
    await deps.ops.markAwake(queue);
    await lingerForMail({ ops: deps.ops, queue, idleMs: TRICKLE_LINGER_MS, probeMs: TRICKLE_PROBE_MS, now, hasSession: () => true, stopping: () => deps.stopping?.() ?? false });
  } finally {
    runs.lingering--;
  }
  return true;
}
