/**
 * What an operator's delete does to a queue, behind QueueOps (claimForDelete, deleteBatch,
 * deleteWaiting): the scripts' calls, each bounded, pipelined over a batch; and the recipient
 * records with their accounting records, shared with QueueOps#recordOutcomes.
 */
import type { Redis } from 'ioredis';
import { serializeRecord, type DeliveryRecord } from './accounting-records.js';
import { parseClaimed, type DeleteCandidate } from './delete-claims.js';
import type { Keys } from './keys.js';
import type { RecipientRecord } from './message.js';
import { epochMinute } from './minute-counters.js';
import type { ClaimedForDelete } from './scripts/claim-for-delete.js';
import type { DeletedWaiting, DeleteWaitingInput } from './scripts/delete-waiting.js';
import type { QueueScripts, SlotKeys } from './scripts/index.js';

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
 * Ids per deleteWaiting script call: sized so one call stays around a millisecond of Redis time
 * (measured in packages/bench/notes.md).
 */
export const DELETE_WAITING = 50;

/** A delete claims these ids and reads them (see QueueOps#claimForDelete). */
export async function claimForDelete(scripts: QueueScripts, keys: Keys, slot: SlotKeys, ids: readonly string[], job?: string): Promise<{ busy: number; claimed: DeleteCandidate[] }> {
  const calls: Array<Promise<{ busy: number; claimed: ClaimedForDelete[] }>> = [];
  for (let i = 0; i < ids.length; i += CLAIM_FOR_DELETE) calls.push(scripts.claimForDelete(keys, slot, job, ids.slice(i, i + CLAIM_FOR_DELETE)));
  const replies = await Promise.all(calls);
  return { busy: replies.reduce((n, r) => n + r.busy, 0), claimed: replies.flatMap((r) => r.claimed.map(parseClaimed)) };
}

/** Finishes claimed messages, DELETE_BATCH a script (see QueueOps#deleteBatch). */
export async function deleteBatch(
  scripts: QueueScripts,
  keys: Keys,
  at: { queue: string; slot: number; now: number; accounting: boolean },
  batches: readonly DeleteOutcomes[],
): Promise<number> {
  const minuteKey = keys.minuteCounters(epochMinute(at.now));
  const messages = batches.map((b) => ({ id: b.id, job: b.job, keep: b.keep, recipients: withRecords(b, at.accounting).recipients }));
  const calls: Promise<number>[] = [];
  for (let i = 0; i < messages.length; i += DELETE_BATCH) {
    calls.push(scripts.deleteBatch(keys, { queue: at.queue, slot: at.slot, minuteKey, notBefore: at.now, messages: messages.slice(i, i + DELETE_BATCH) }));
  }
  return (await Promise.all(calls)).reduce((a, b) => a + b, 0);
}

/**
 * Deletes waiting mail inside Redis (see QueueOps#deleteWaiting): the ids' jobs are read first (one
 * HMGET; a message's job never changes), then DELETE_WAITING ids a script call, the calls pipelined.
 */
export async function deleteWaiting(r: Redis, scripts: QueueScripts, keys: Keys, input: Omit<DeleteWaitingInput, 'minuteKey' | 'ids'> & { ids: readonly string[] }, now: number): Promise<DeletedWaiting> {
  const out: DeletedWaiting = { busy: 0, removed: 0, deleted: 0, handed: [] };
  const { ids } = input;
  if (ids.length === 0) return out;
  const jobs = await r.hmget(keys.messageJobs(), ...ids);
  const minuteKey = keys.minuteCounters(epochMinute(now));
  const calls: Promise<DeletedWaiting>[] = [];
  for (let i = 0; i < ids.length; i += DELETE_WAITING) {
    const slice = ids.slice(i, i + DELETE_WAITING).map((id, j) => ({ id, job: jobs[i + j] ?? undefined }));
    calls.push(scripts.deleteWaiting(keys, { ...input, minuteKey, ids: slice }));
  }
  for (const reply of await Promise.all(calls)) {
    out.busy += reply.busy;
    out.removed += reply.removed;
    out.deleted += reply.deleted;
    out.handed.push(...reply.handed);
  }
  return out;
}

/** Each recipient's new record with its accounting record (by address, in order); the records of no recipient apart. */
export function withRecords(batch: { recipients: readonly RecipientRecord[]; accounting?: readonly DeliveryRecord[] }, accounting: boolean) {
  const byAddress = new Map<string, DeliveryRecord[]>();
  for (const record of accounting ? (batch.accounting ?? []) : []) {
    const list = byAddress.get(record.rcpt) ?? [];
    list.push(record);
    byAddress.set(record.rcpt, list);
  }
  const recipients = batch.recipients.map((r) => {
    const record = byAddress.get(r.address)?.shift();
    return { index: r.index, json: JSON.stringify(r), state: r.state, attempts: r.attempts, ...(record ? { record: serializeRecord(record) } : {}) };
  });
  return { byAddress, recipients };
}
