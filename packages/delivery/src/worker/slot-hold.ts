/**
 * A token run's hold on its connection slot (`<queue>#<slot>`), and the way it is taken back when
 * the holder's process goes silent. The holder record (`{q}:holder:<slot>`, written by takeSlot)
 * fences a run: once recovery released the slot, the run's claims, outcomes and hand-backs write
 * nothing (SlotLostError). Before each message the run checks it may still hold the slot: free
 * while its process's heartbeat is fresh (SEND_WHILE_BEAT_WITHIN_MS), one HGET otherwise.
 */
import { randomUUID } from 'node:crypto';
import { heldSlotEntry, SEND_WHILE_BEAT_WITHIN_MS, SlotLostError, type QueueOps, type QueueRef } from '@vmta/queue';

/** This process as a slot holder: its id in the process registry and its last acknowledged heartbeat. */
export interface SlotHolderProcess {
  processId: string;
  lastBeatAt(): number | undefined;
}

export interface SlotHold {
  /** The run: BullMQ's lock token of the job (the recoverer hands the job back with it). */
  run: string;
  processId: string;
  entry: string;
}

/** The hold of a token run, when this process takes part in slot recovery (else none: no fencing). */
export function slotHold(process: SlotHolderProcess | undefined, ref: QueueRef, slot: number, token: string | undefined): SlotHold | undefined {
  if (!process) return undefined;
  const run = token ?? randomUUID();
  return { run, processId: process.processId, entry: heldSlotEntry({ ...ref, slot, run }) };
}

/** Throws SlotLostError when the run may have lost its slot: asked before each message is sent. */
export async function assertStillHeld(ops: QueueOps, process: SlotHolderProcess | undefined, hold: SlotHold | undefined, queue: string, slot: number, now: number): Promise<void> {
  if (!process || !hold) return;
  const beat = process.lastBeatAt();
  if (beat !== undefined && now - beat < SEND_WHILE_BEAT_WITHIN_MS) return;
  if (!(await ops.holds(queue, slot, hold.run))) throw new SlotLostError(queue, slot);
}
