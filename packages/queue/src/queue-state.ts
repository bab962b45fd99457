/**
 * A queue's state hash read as data: its mode (normal | retry | backoff | paused), retry time,
 * backoff and counters, and what `vmta show queues` shows of one queue.
 */
import type { QueueOpsContext } from './queue-ops-context.js';

export type QueueMode = 'normal' | 'retry' | 'backoff' | 'paused';

/** Why a queue is in backoff (kept while retry or a pause hide it), see scripts/backoff-mode.ts. */
export interface BackoffState {
  since: number;
  /** backoff-to-normal-after: back to normal at this time. */
  until?: number;
  /** The reply that matched, or who set it ("operator"). */
  reason: string;
  /** The smtp-pattern-list rule, file:line ("" when the operator set it). */
  rule: string;
}

export interface QueueState {
  mode: QueueMode;
  /** While in retry mode: when the queue may be tried again (ms). */
  retryAt?: number;
  /** Consecutive failed connections/transactions (drives retry-after). */
  failures: number;
  delivered: number;
  bounced: number;
  deferred: number;
  backoff?: BackoffState;
  /** When the queue last left backoff (ms): backoff-recovery-steps count from it. */
  recoverySince?: number;
  /** The backoff fields are still stored although backoff-to-normal-after has passed: someone must clear them (leaveBackoff). */
  backoffLapsed?: true;
}

export interface QueueStats {
  queue: string;
  mode: QueueMode;
  paused: boolean;
  /** Recipients not yet final. */
  queued: number;
  /** Messages held by a connection right now. */
  inflight: number;
  /** Messages waiting for retry-recipients-after (not due yet). */
  deferred: number;
  oldestAgeSeconds: number;
  delivered: number;
  bounced: number;
  retryAt?: number;
  backoff?: BackoffState;
}

/** The queue's state. */
export async function readState(ctx: QueueOpsContext, queue: string): Promise<QueueState> {
  return parseState(await ctx.r.hgetall(ctx.keys.queueState(queue)));
}

/** What `vmta show queues` shows for one queue. */
export async function readStats(ctx: QueueOpsContext, queue: string, now: number): Promise<QueueStats> {
  const k = ctx.keys;
  const [[, h], [, waiting], [, oldest]] = (await ctx.r
    .multi()
    .hgetall(k.queueState(queue))
    .zcount(k.queueReady(queue), `(${now}`, '+inf')
    .zrange(k.queueAge(queue), '0', '0', 'WITHSCORES')
    .exec()) as [[null, Record<string, string>], [null, number], [null, string[]]];
  const backoff = backoffOf(h, now);
  const queued = Math.max(0, Number(h.queued ?? 0));
  const inflight = Math.max(0, Number(h.inflight ?? 0));
  // A queue with no mail (emptied by `vmta delete`, or drained) is not retrying anything: like `pmta show queues`,
  // it shows as normal. The stored retry time stays (retire-queue keeps it): mail that arrives before it waits for it.
  const empty = queued === 0 && inflight === 0 && oldest.length === 0;
  const stored = modeOf(h, backoff);
  const mode = stored === 'retry' && empty ? 'normal' : stored;
  return {
    queue,
    mode,
    paused: mode === 'paused',
    queued,
    inflight,
    deferred: waiting,
    oldestAgeSeconds: oldest.length >= 2 ? Math.max(0, Math.round((now - Number(oldest[1])) / 1000)) : 0,
    delivered: Number(h.delivered ?? 0),
    bounced: Number(h.bounced ?? 0),
    retryAt: h.retryAt && mode !== 'normal' ? Number(h.retryAt) : undefined,
    backoff,
  };
}

/** A queue's state from its state hash. */
export function parseState(h: Record<string, string>, now = Date.now()): QueueState {
  const backoff = backoffOf(h, now);
  return {
    mode: modeOf(h, backoff),
    retryAt: h.retryAt ? Number(h.retryAt) : undefined,
    failures: Number(h.failures ?? 0),
    delivered: Number(h.delivered ?? 0),
    bounced: Number(h.bounced ?? 0),
    deferred: Number(h.deferred ?? 0),
    backoff,
    ...(h.recoverySince ? { recoverySince: Number(h.recoverySince) } : {}),
    ...(h.backoffSince && backoff === undefined ? { backoffLapsed: true as const } : {}),
  };
}

/** The stored mode, except a backoff whose backoff-to-normal-after has passed reads as normal (the next token clears it). */
function modeOf(h: Record<string, string>, backoff: BackoffState | undefined): QueueMode {
  const mode = (h.mode as QueueMode | undefined) ?? 'normal';
  return mode === 'backoff' && backoff === undefined ? 'normal' : mode;
}

function backoffOf(h: Record<string, string>, now: number): BackoffState | undefined {
  if (!h.backoffSince) return undefined;
  if (h.backoffUntil && Number(h.backoffUntil) <= now) return undefined;
  return {
    since: Number(h.backoffSince),
    ...(h.backoffUntil ? { until: Number(h.backoffUntil) } : {}),
    reason: h.backoffReason ?? '',
    rule: h.backoffRule ?? '',
  };
}
