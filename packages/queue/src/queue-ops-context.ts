/**
 * What the operation modules of QueueOps share (queue-ops.ts, queue-mode.ts, queue-state.ts): the
 * connection with its keys and scripts, whether outcomes are accounted, and a slot's keys.
 */
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';
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
