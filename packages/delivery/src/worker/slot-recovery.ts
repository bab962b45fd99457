/**
 * Slot recovery: every RECOVERY_SCAN_MS a delivery process looks for processes silent for longer
 * than SLOT_RECOVERY_AFTER_MS that still list held slots. For each, it releases the slot if the
 * dead run still holds it (its in-flight mail back to ready, the old run fenced: releaseSlot),
 * hands the token job back to BullMQ with the dead run's lock token, and wakes the slot. Several
 * processes may scan at once: the release script lets one of them win.
 */
import { SLOT_RECOVERY_AFTER_MS, tokenId, type Dispatcher, type HeldSlot, type QueueOps } from '@vmta/queue';
import type { Logger } from 'pino';

/** How often a delivery process looks for silent processes' slots: one ZRANGEBYSCORE when none is silent. */
export const RECOVERY_SCAN_MS = 1_000;

export interface RecoveryDeps {
  ops: QueueOps;
  dispatcher: Dispatcher;
  log: Logger;
  /** Default SLOT_RECOVERY_AFTER_MS. */
  recoverAfterMs?: number;
  /** This process: never its own slots (its live runs fence themselves when its heartbeat is stale). */
  self?: string;
  now?: () => number;
}

/** One scan; returns the slots taken back. */
export async function recoverSilentSlots(deps: RecoveryDeps): Promise<number> {
  const now = deps.now ?? Date.now;
  const held = await deps.ops.slotsOfSilentProcesses(now() - (deps.recoverAfterMs ?? SLOT_RECOVERY_AFTER_MS));
  let taken = 0;
  for (const { processId, entry, held: slot } of held) {
    if (processId === deps.self) continue;
    if (await deps.ops.releaseSlot(slot.queue, slot.slot, slot.run, now(), true)) {
      taken++;
      await handTokenBack(deps, slot);
      deps.log.warn({ event: 'slot-recovered', queue: slot.queue, slot: slot.slot, from: processId }, 'took back the connection slot of a silent process');
    }
    await deps.ops.unlistSlot(processId, entry);
  }
  return taken;
}

/**
 * The dead run's token job is still active in BullMQ under its lock: moved to the delayed set with
 * the dead run's lock token (due now), then woken. When its lock already expired, BullMQ's
 * stalled-job check returns it to wait by itself.
 */
async function handTokenBack(deps: RecoveryDeps, slot: HeldSlot): Promise<void> {
  const job = await deps.dispatcher.lane(slot.vmta).getJob(tokenId(slot.queue, slot.slot));
  if (!job) return;
  try {
    await job.moveToDelayed(Date.now(), slot.run);
  } catch (err) {
    // Lock mismatch (another run holds the job now) or gone: not ours to move.
    deps.log.debug({ event: 'slot-token-not-moved', queue: slot.queue, slot: slot.slot, err: (err as Error).message }, 'token job not moved');
    return;
  }
  await deps.dispatcher.wake(slot, slot.slot);
}
