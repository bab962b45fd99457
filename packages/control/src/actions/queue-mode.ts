/**
 * Pause, resume and retry now: the mode changes an operator makes to a queue. Resume and
 * retry wake the queue (a dispatch token) so delivery takes it up at once.
 */
import type { QueueMode } from '@vmta/queue';
import type { Cluster } from '../cluster.js';
import { queueRef } from '../queue-ref.js';

/** A queue and the mode it is in after the action. */
export interface QueueModeResult {
  queue: string;
  mode: QueueMode;
}

/** Delivery takes no more mail from the queue until it is resumed. */
export async function pauseQueue(cluster: Cluster, queue: string): Promise<QueueModeResult> {
  await cluster.ops.pause(queue);
  return modeOf(cluster, queue);
}

/** Undoes a pause: back to retry mode if the retry time has not come yet, else normal. */
export async function resumeQueue(cluster: Cluster, queue: string): Promise<QueueModeResult> {
  await cluster.ops.resume(queue);
  return wakeQueue(cluster, queue);
}

/** Leaves retry mode now (the failure count starts again) instead of waiting for the retry time. */
export async function retryQueue(cluster: Cluster, queue: string): Promise<QueueModeResult> {
  await cluster.ops.leaveRetry(queue);
  return wakeQueue(cluster, queue);
}

async function wakeQueue(cluster: Cluster, queue: string): Promise<QueueModeResult> {
  await cluster.dispatcher.wake(queueRef(queue));
  return modeOf(cluster, queue);
}

async function modeOf(cluster: Cluster, queue: string): Promise<QueueModeResult> {
  return { queue, mode: (await cluster.ops.state(queue)).mode };
}

/** The mode changes by the name operators give them (`vmta pause queue ...`, POST /queues/.../pause). */
export const queueModeActions = { pause: pauseQueue, resume: resumeQueue, retry: retryQueue } as const;
export type QueueModeAction = keyof typeof queueModeActions;
