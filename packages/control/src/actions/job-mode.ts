/**
 * Pause and resume one job (`vmta pause job ID`, POST /jobs/ID/pause): its mail stays in the shared
 * queues but no delivery process claims it (see claimShare), while other mail of the same queues
 * flows. Paused mail still bounces at bounce-after. Resume makes the held mail due at once and
 * wakes the queues that hold it.
 */
import { pauseJob as pause, resumeJob as resume } from '@vmta/queue';
import type { Cluster } from '../cluster.js';
import { queueRef } from '../queue-ref.js';

export interface JobModeResult {
  job: string;
  paused: boolean;
  /** resume: the queues woken because they hold the job's mail. */
  queues?: string[];
}

export async function pauseJob(cluster: Cluster, job: string): Promise<JobModeResult> {
  await pause(cluster.redis, cluster.keys, job);
  return { job, paused: true };
}

export async function resumeJob(cluster: Cluster, job: string, now = Date.now()): Promise<JobModeResult> {
  const { queues } = await resume(cluster.redis, cluster.keys, job, now);
  for (const queue of queues) await cluster.dispatcher.wake(queueRef(queue));
  return { job, paused: false, queues };
}

/** The job actions by the name operators give them (`vmta pause job`, POST /jobs/ID/pause). */
export const jobModeActions = { pause: pauseJob, resume: resumeJob } as const;
export type JobModeAction = keyof typeof jobModeActions;
