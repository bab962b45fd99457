/**
 * A queue's mode changes: retry after a failed connection, backoff (backoff-* limits), and the
 * operator's pause and resume. The state hash is read back in queue-state.ts.
 */
import { serializeRecord, type TransientQueueRecord } from './accounting-records.js';
import type { QueueOpsContext } from './queue-ops-context.js';
import { readState } from './queue-state.js';
import { ACCOUNTING_MAXLEN } from './scripts/constants.js';

/**
 * A connection or transaction failed: retry mode until `retryAt`. Its `tq` record, if given, goes to
 * the accounting stream in the same MULTI (when something reads the stream).
 */
export async function enterRetry(ctx: QueueOpsContext, queue: string, retryAt: number, record?: TransientQueueRecord): Promise<number> {
  const multi = ctx.r.multi();
  // a paused queue stays paused (the script keeps its mode and records the retry time for resume)
  ctx.scripts.on(multi).backoffMode(ctx.keys.queueState(queue), { op: 'enter-retry', now: Date.now(), until: retryAt });
  if (record && ctx.accounting()) multi.xadd(ctx.keys.accounting(), 'MAXLEN', '~', String(ACCOUNTING_MAXLEN), '*', ...serializeRecord(record));
  const [[err, failures]] = (await multi.exec()) as [[Error | null, number], unknown];
  if (err) throw err;
  return Number(failures);
}

/** A delivery succeeded (or the operator said retry now): back to normal, schedule reset; a paused queue stays paused. */
export async function leaveRetry(ctx: QueueOpsContext, queue: string): Promise<void> {
  // Back to backoff if the queue was in backoff before it failed.
  await ctx.scripts.backoffMode(ctx.keys.queueState(queue), { op: 'leave-retry', now: Date.now() });
}

/** Backoff mode (backoff-* limits); true when the queue was not in backoff already. */
export function enterBackoff(ctx: QueueOpsContext, queue: string, why: { now: number; until?: number; reason: string; rule: string }): Promise<boolean> {
  return ctx.scripts.backoffMode(ctx.keys.queueState(queue), { op: 'enter', ...why });
}

/** Leaves backoff mode (`onlyIfDue`: only when backoff-to-normal-after has passed); true when it did. */
export function leaveBackoff(ctx: QueueOpsContext, queue: string, now: number, onlyIfDue: boolean): Promise<boolean> {
  return ctx.scripts.backoffMode(ctx.keys.queueState(queue), { op: onlyIfDue ? 'expire' : 'leave', now });
}

/** Holds the queue's mail (paused mode). */
export async function pause(ctx: QueueOpsContext, queue: string): Promise<void> {
  await ctx.r.hset(ctx.keys.queueState(queue), 'mode', 'paused');
}

/** Resumes a paused queue (into retry mode again if its retry time is still ahead). */
export async function resume(ctx: QueueOpsContext, queue: string, now: number): Promise<void> {
  const s = await readState(ctx, queue);
  await ctx.r.hset(ctx.keys.queueState(queue), 'mode', s.retryAt && s.retryAt > now ? 'retry' : s.backoff ? 'backoff' : 'normal');
}
