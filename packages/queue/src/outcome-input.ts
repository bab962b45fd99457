/** One message's outcomes as QueueOps#recordOutcomes takes them, and the script input made from them. */
import { serializeRecord, type DeliveryRecord } from './accounting-records.js';
import type { Keys } from './keys.js';
import { latencyBucket } from './latency.js';
import type { RecipientRecord } from './message.js';
import { epochMinute } from './minute-counters.js';
import { withRecords } from './queue-deletes.js';
import type { RecordOutcomesInput } from './scripts/index.js';

export interface OutcomeBatch {
  id: string;
  queue: string;
  slot: number;
  /** Recipient records of this queue, updated (state, attempts, last reply). */
  recipients: RecipientRecord[];
  /** When recipients of this message remain queued here: when they may be tried again. */
  notBefore?: number;
  /** Accounting records (d, b, t) to append. */
  accounting?: readonly DeliveryRecord[];
  /** The token run holding the slot: nothing is written once it lost the slot (SlotLostError). */
  run?: string;
  /** The message's job, if any: the job's counters count the final outcomes. */
  job?: string;
  /** Recipients of this queue not in `recipients` stay queued (a delete of some recipients): back in the queue at `notBefore`. */
  keep?: boolean;
  /** For the latency histogram: the VMTA and time from receipt (ms) of the recipients delivered now. */
  delivered?: { vmta: string; afterMs: number };
}

/**
 * The recordOutcomes script input of a batch: `now` picks the history minute; with `accounting`,
 * each accounting record goes with its recipient (by address, in order).
 */
export function outcomeInput(keys: Keys, batch: OutcomeBatch, now: number, accounting: boolean): RecordOutcomesInput {
  const seconds = batch.delivered ? Math.max(0, batch.delivered.afterMs / 1000) : 0;
  const { byAddress, recipients } = withRecords(batch, accounting);
  return {
    id: batch.id,
    queue: batch.queue,
    slot: batch.slot,
    run: batch.run,
    job: batch.job,
    keep: batch.keep,
    minuteKey: keys.minuteCounters(epochMinute(now)),
    notBefore: batch.notBefore,
    latency: batch.delivered && { vmta: batch.delivered.vmta, bucket: latencyBucket(seconds), seconds },
    records: [...byAddress.values()].flat().map(serializeRecord),
    recipients,
  };
}
