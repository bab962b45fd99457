/** `vmta show jobs`, GET /jobs: each job's recipients queued, delivered and bounced, first and last seen. */
import { listJobs, type JobStats } from '@vmta/queue';
import type { Cluster } from '../cluster.js';

export type JobView = JobStats;

export function jobsView(cluster: Cluster, limit = 1000): Promise<JobView[]> {
  return listJobs(cluster.redis, cluster.keys, limit);
}
