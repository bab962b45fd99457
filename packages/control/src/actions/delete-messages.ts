/**
 * Delete mail by more than the queue: by job, sender (`--orig`), recipient (`--rcpt`) and age
 * (`--older-than`), combinable, in the queues named by patterns (all queues when none). Each queue
 * gets a purge job carrying the filter (packages/delivery/src/worker/purge.ts): it walks the queue
 * in batches, reads each candidate without its body and claims only what the filter names. Without
 * `dsn` the mail is dropped silently; with it every sender gets a DSN.
 */
import { compileFilter, type MessageFilter, type PurgeRequest } from '@vmta/queue';
import type { Cluster } from '../cluster.js';
import { queueRef } from '../queue-ref.js';
import { matchQueues } from './select-queues.js';

export interface DeleteMessagesOptions {
  /** Queue patterns (`*` matches any run of characters); none: every queue. */
  queues?: readonly string[];
  filter: Pick<MessageFilter, 'job' | 'orig' | 'rcpt'>;
  /** Only mail received more than this long ago (ms). */
  olderThanMs?: number;
  dsn: boolean;
  now?: number;
}

export interface DeleteMessagesResult {
  /** One purge request per queue searched. */
  requests: Array<{ queue: string; request: PurgeRequest }>;
  dsn: boolean;
  /** Mail received up to this time (ms) is looked at. */
  before: number;
}

/** Asks the delivery processes to delete what the filter names; throws FilterPatternError for a bad /re/. */
export async function deleteMessages(cluster: Cluster, options: DeleteMessagesOptions): Promise<DeleteMessagesResult> {
  compileFilter(options.filter);
  const filter = Object.fromEntries(Object.entries(options.filter).filter(([, v]) => v !== undefined && v !== '')) as DeleteMessagesOptions['filter'];
  const before = (options.now ?? Date.now()) - (options.olderThanMs ?? 0);
  const queues = await matchQueues(cluster, options.queues && options.queues.length > 0 ? options.queues : ['*']);
  const requests: DeleteMessagesResult['requests'] = [];
  for (const queue of queues) {
    if ((await cluster.ops.oldest(queue)) === undefined) continue;
    const request = await cluster.dispatcher.purge(queueRef(queue), { dsn: options.dsn, before, ...(Object.keys(filter).length > 0 ? { filter } : {}) });
    requests.push({ queue, request });
  }
  return { requests, dsn: options.dsn, before };
}
