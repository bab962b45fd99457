/**
 * `vmta set queue --mode=backoff|normal QUEUE`: the operator puts a queue into backoff mode
 * (its domain's backoff-* limits apply, with no timer: it stays until set back) or returns it
 * to normal. The mode lives in Redis, so every delivery process obeys it within a second.
 * Leaving backoff wakes the queue, so connections over backoff-max-smtp-out come back.
 * With the configuration given, a change tells the queue's backoff-notify addresses (actions/notices.ts).
 */
import type { Cluster } from '../cluster.js';
import { queueRef } from '../queue-ref.js';
import { tellQueueMode, type NoticeOptions } from './notices.js';
import type { QueueModeResult } from './queue-mode.js';

export type SettableMode = 'backoff' | 'normal';
export const SETTABLE_MODES: readonly SettableMode[] = ['backoff', 'normal'];

export interface SetModeResult extends QueueModeResult {
  /** False when the queue was in that mode already. */
  changed: boolean;
}

export async function setQueueMode(cluster: Cluster, queue: string, mode: SettableMode, now = Date.now(), notify?: NoticeOptions): Promise<SetModeResult> {
  const changed =
    mode === 'backoff'
      ? await cluster.ops.enterBackoff(queue, { now, reason: 'set by the operator', rule: '' })
      : await cluster.ops.leaveBackoff(queue, now);
  if (changed && mode === 'normal') await cluster.dispatcher.wake(queueRef(queue));
  if (changed && notify) await tellQueueMode(cluster, notify, { queue, mode, by: 'operator' });
  return { queue, mode: (await cluster.ops.state(queue)).mode, changed };
}
