/**
 * A token run's hold on its connection slot (`<queue>#<slot>`), and the way it is taken back when
 * the holder's process goes silent. The holder record (`{q}:holder:<slot>`, written by takeSlot)
 * fences a run: once recovery released the slot, the run's claims, outcomes and hand-backs write
 * nothing (SlotLostError). Before each message the run checks it may still hold the slot: free
 * while its process's heartbeat is fresh (SEND_WHILE_BEAT_WITHIN_MS), one HGET while it is late,
 * and no message at all once it is older than FENCE_AFTER_MS (self-fencing: the run waits, and
 * its sessions are closed by the fence watch, before anyone may recover the slot).
 */
import { randomUUID } from 'node:crypto';
import { FENCE_AFTER_MS, FENCE_CHECK_MS, heldSlotEntry, SEND_WHILE_BEAT_WITHIN_MS, SlotLostError, type QueueOps, type QueueRef } from '@vmta/queue';
import { LimitWait } from './token-sleep.js';

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
  /** Set when the run's last, empty claim let go of the slot (claimShare with a release): its end has nothing to release. */
  released?: boolean;
}

/** The hold of a token run, when this process takes part in slot recovery (else none: no fencing). */
export function slotHold(process: SlotHolderProcess | undefined, ref: QueueRef, slot: number, token: string | undefined): SlotHold | undefined {
  if (!process) return undefined;
  const run = token ?? randomUUID();
  return { run, processId: process.processId, entry: heldSlotEntry({ ...ref, slot, run }) };
}

/** What a run may do, by the age of its process's last acknowledged heartbeat (pure). */
export function fenceVerdict(lastBeatAt: number | undefined, now: number): 'send' | 'ask' | 'stop' {
  // Before the first acknowledged beat the process is not listed as a holder anywhere yet: asking is enough.
  if (lastBeatAt === undefined) return 'ask';
  const age = now - lastBeatAt;
  if (age < SEND_WHILE_BEAT_WITHIN_MS) return 'send';
  return age < FENCE_AFTER_MS ? 'ask' : 'stop';
}

/**
 * Asked before each message: throws LimitWait (heartbeat-stale) when this process must fence
 * itself, SlotLostError when the run lost its slot.
 */
export async function assertStillHeld(ops: QueueOps, process: SlotHolderProcess | undefined, hold: SlotHold | undefined, queue: string, slot: number, now: number): Promise<void> {
  if (!process || !hold) return;
  const verdict = fenceVerdict(process.lastBeatAt(), now);
  if (verdict === 'send') return;
  if (verdict === 'stop') throw new LimitWait(now + FENCE_CHECK_MS, 'heartbeat-stale');
  if (!(await ops.holds(queue, slot, hold.run))) throw new SlotLostError(queue, slot);
}

/** The runs of one process that watch its heartbeat, and their one shared timer. */
interface FenceWatchers {
  runs: Set<{ now: () => number; fence: () => void }>;
  timer: NodeJS.Timeout;
}

const watching = new WeakMap<SlotHolderProcess, FenceWatchers>();

/**
 * While a run lives: every FENCE_CHECK_MS, when its process's heartbeat is older than
 * FENCE_AFTER_MS, `fence` closes its sessions (a transaction in flight is cut). Returns the stop.
 * The runs of a process share one timer, which stops with the last run: a timer per run was a
 * setInterval and a clearInterval for every one-message queue.
 */
export function watchFence(process: SlotHolderProcess | undefined, now: () => number, fence: () => void): () => void {
  if (!process) return () => undefined;
  let watchers = watching.get(process);
  if (!watchers) {
    const runs: FenceWatchers['runs'] = new Set();
    const timer = setInterval(() => {
      for (const run of runs) {
        try {
          if (fenceVerdict(process.lastBeatAt(), run.now()) === 'stop') run.fence();
        } catch {
          // One run's fence must not keep the others' from running.
        }
      }
    }, FENCE_CHECK_MS);
    timer.unref();
    watchers = { runs, timer };
    watching.set(process, watchers);
  }
  const run = { now, fence };
  const { runs, timer } = watchers;
  runs.add(run);
  return () => {
    runs.delete(run);
    if (runs.size > 0 || watching.get(process)?.timer !== timer) return;
    clearInterval(timer);
    watching.delete(process);
  };
}
