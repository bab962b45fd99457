/**
 * Which connection slots each delivery process holds, so that when a process goes silent (no
 * heartbeat for SLOT_RECOVERY_AFTER_MS) another one can take its slots back at once instead of
 * waiting for BullMQ's stalled-job check. A run lists its slot under its process when it starts
 * (QueueOps#startToken) and unlists it when it ends; the holder record of the slot itself
 * (Keys#queueSlotHolder) is what fences the old run.
 */
import type { Redis } from 'ioredis';
import type { QueueRef } from './dispatch.js';
import type { Keys } from './keys.js';

/** One slot a process holds: the queue, the slot, and the run (BullMQ lock token) holding it. */
export interface HeldSlot extends QueueRef {
  slot: number;
  run: string;
}

/** The member a held slot is listed as under its process. */
export function heldSlotEntry(held: HeldSlot): string {
  return JSON.stringify({ queue: held.queue, domain: held.domain, vmta: held.vmta, slot: held.slot, run: held.run });
}

/** The slots listed under processes whose last heartbeat is older than `silentSince` (ms). */
export async function slotsOfSilentProcesses(redis: Redis, keys: Keys, silentSince: number): Promise<Array<{ processId: string; entry: string; held: HeldSlot }>> {
  const silent = await redis.zrangebyscore(keys.processIndex(), '-inf', `(${silentSince}`);
  const out: Array<{ processId: string; entry: string; held: HeldSlot }> = [];
  for (const processId of silent) {
    for (const entry of await redis.smembers(keys.processSlots(processId))) out.push({ processId, entry, held: JSON.parse(entry) as HeldSlot });
  }
  return out;
}
