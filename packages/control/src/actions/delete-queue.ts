/**
 * Delete the mail of a queue. The request goes to the delivery processes as a purge job
 * (packages/delivery/src/worker/purge.ts): they never hand the same message to a connection
 * and to the delete; a message a connection holds is left to it and deleted if the connection
 * gives it back. Without a DSN the mail is dropped silently; with one every sender gets a DSN.
 * Either way it counts as bounced.
 */
import { hasQueue, type PurgeRequest } from '@vmta/queue';
import type { Cluster } from '../cluster.js';
import { queueRef } from '../queue-ref.js';

export interface DeleteOptions {
  /** Every sender gets a DSN. */
  dsn: boolean;
  /** Ask for nothing when no recipient is queued (`vmta delete` does; POST /queues/.../delete asks anyway). */
  skipEmpty?: boolean;
}

export interface DeleteResult {
  queue: string;
  /** Recipients queued when the delete was asked for. */
  recipients: number;
  dsn: boolean;
  /** The purge job delivery processes carry out; absent when nothing was queued and `skipEmpty` was set. */
  request?: PurgeRequest;
}

/** Asks the delivery processes to delete a queue's mail; undefined when no queue of that name has held mail. */
export async function deleteQueue(cluster: Cluster, queue: string, options: DeleteOptions): Promise<DeleteResult | undefined> {
  if (!(await hasQueue(cluster.redis, cluster.keys, queue))) return undefined;
  const { dsn } = options;
  const { queued } = await cluster.ops.stats(queue);
  if (queued === 0 && options.skipEmpty) return { queue, recipients: 0, dsn };
  const request = await cluster.dispatcher.purge(queueRef(queue), { dsn });
  return { queue, recipients: queued, dsn, request };
}
