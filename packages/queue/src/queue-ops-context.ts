/**
 * What the operation modules of QueueOps share (queue-ops.ts, queue-delete.ts, queue-mode.ts,
 * queue-state.ts): the connection with its keys and scripts, whether outcomes are accounted, a
 * slot's keys, and a batch's recipients paired with their accounting records.
 */
import type { Redis } from 'ioredis';
import { serializeRecord, type DeliveryRecord } from './accounting-records.js';
import type { Keys } from './keys.js';
import type { RecipientRecord } from './message.js';
import type { QueueScripts, SlotKeys } from './scripts/index.js';

export interface QueueOpsContext {
  readonly r: Redis;
  readonly keys: Keys;
  readonly scripts: QueueScripts;
  /** Whether outcomes go to the accounting stream (see the QueueOps constructor). */
  readonly accounting: () => boolean;
}

/** The keys of one in-flight slot of a queue, as the slot scripts take them. */
export function slotKeys(k: Keys, queue: string, slot: number): SlotKeys {
  return { ready: k.queueReady(queue), inflight: k.queueInflight(queue, slot), state: k.queueState(queue), holder: k.queueSlotHolder(queue, slot) };
}

/** Each recipient's new record with its accounting record (by address, in order); the records of no recipient apart. */
export function withRecords(ctx: QueueOpsContext, batch: { recipients: readonly RecipientRecord[]; accounting?: readonly DeliveryRecord[] }) {
  const byAddress = new Map<string, DeliveryRecord[]>();
  for (const record of ctx.accounting() ? (batch.accounting ?? []) : []) {
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
