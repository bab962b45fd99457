/**
 * What a delete (`vmta delete`, carried out by delivery's purge) does to a queue: claim waiting
 * mail and read it without its body, give back what it does not name, and bounce the recipients
 * it names, each step in bounded script calls.
 */
import type { DeliveryRecord } from './accounting-records.js';
import { parseClaimed, type DeleteCandidate } from './delete-claims.js';
import type { RecipientRecord } from './message.js';
import { epochMinute } from './minute-counters.js';
import { slotKeys, withRecords, type QueueOpsContext } from './queue-ops-context.js';
import type { ClaimedForDelete } from './scripts/claim-for-delete.js';

/** One message of a delete: its recipients of the queue bounced, with their accounting records. */
export interface DeleteOutcomes {
  id: string;
  job?: string;
  keep?: boolean;
  recipients: RecipientRecord[];
  accounting?: readonly DeliveryRecord[];
}

/**
 * Messages per deleteBatch script call: 25 messages of one recipient each take about 1.2-1.3 ms of
 * Redis time per call on the shared 2-core machine (50 took 2.7 ms; INFO commandstats, BENCHMARKS.md §7).
 */
export const DELETE_BATCH = 25;

/** Ids per claimForDelete script call (see scripts/claim-for-delete.ts; measured in packages/bench/notes.md). */
export const CLAIM_FOR_DELETE = 200;

/**
 * A delete claims these ids (waiting ones only; with `job`, only that job's) and reads them in
 * the same script, no body: CLAIM_FOR_DELETE ids a call, the calls pipelined. `busy`: ids not
 * waiting (held by a token, or gone), which a delete looks at again later.
 */
export async function claimForDelete(
  ctx: QueueOpsContext,
  queue: string,
  slot: number,
  ids: readonly string[],
  job?: string,
): Promise<{ busy: number; claimed: DeleteCandidate[] }> {
  const calls: Array<Promise<{ busy: number; claimed: ClaimedForDelete[] }>> = [];
  for (let i = 0; i < ids.length; i += CLAIM_FOR_DELETE) calls.push(ctx.scripts.claimForDelete(ctx.keys, slotKeys(ctx.keys, queue, slot), job, ids.slice(i, i + CLAIM_FOR_DELETE)));
  const replies = await Promise.all(calls);
  return { busy: replies.reduce((n, r) => n + r.busy, 0), claimed: replies.flatMap((r) => r.claimed.map(parseClaimed)) };
}

/** Gives claimed mail a delete does not name back to the queue at the score it had. */
export function releaseClaimed(ctx: QueueOpsContext, queue: string, slot: number, entries: ReadonlyArray<{ id: string; score: number }>): Promise<number> {
  if (entries.length === 0) return Promise.resolve(0);
  return ctx.scripts.releaseIds(slotKeys(ctx.keys, queue, slot), entries);
}

/**
 * A delete finishes messages of one queue its slot claimed, every recipient in `recipients`
 * bounced (see scripts/delete-batch.ts), in one script per DELETE_BATCH messages; returns the
 * recipients bounced now. Accounting records go with their recipients as in recordOutcomes.
 */
export async function deleteBatch(ctx: QueueOpsContext, queue: string, slot: number, batches: readonly DeleteOutcomes[], now: number): Promise<number> {
  const minuteKey = ctx.keys.minuteCounters(epochMinute(now));
  const messages = batches.map((b) => ({ id: b.id, job: b.job, keep: b.keep, recipients: withRecords(ctx, b).recipients }));
  const calls: Promise<number>[] = [];
  for (let i = 0; i < messages.length; i += DELETE_BATCH) {
    calls.push(ctx.scripts.deleteBatch(ctx.keys, { queue, slot, minuteKey, notBefore: now, messages: messages.slice(i, i + DELETE_BATCH) }));
  }
  return (await Promise.all(calls)).reduce((a, b) => a + b, 0);
}
