/** The cluster seen from Redis: every queue with its stats, and the totals. Shared by the CLI and the HTTP server. */
import type { Keys } from './keys.js';
import type { QueueOps, QueueStats } from './queue-ops.js';
import type { Redis } from 'ioredis';

export interface QueueRow extends QueueStats {
  domain: string;
  vmta: string;
}

export interface Totals {
  received: number;
  delivered: number;
  bounced: number;
  deferred: number;
}

/** "domain/vmta" → its parts, the way `vmta show queues` splits a queue name. */
export function splitQueueName(name: string): { domain: string; vmta: string } {
  const at = name.lastIndexOf('/');
  return { domain: name.slice(0, at), vmta: name.slice(at + 1) };
}

/** Every queue of the cluster with its stats, sorted by queued (desc), then name: what `vmta show queues` lists. */
export async function queueRows(redis: Redis, keys: Keys, ops: QueueOps, now = Date.now()): Promise<QueueRow[]> {
  const names = (await redis.smembers(keys.queueIndex())).sort();
  const rows = await Promise.all(names.map(async (name) => ({ ...splitQueueName(name), ...(await ops.stats(name, now)) })));
  return rows.sort((a, b) => b.queued - a.queued || a.queue.localeCompare(b.queue));
}

export async function clusterTotals(redis: Redis, keys: Keys): Promise<Totals> {
  const h = await redis.hgetall(keys.totals());
  const n = (v: string | undefined) => Number(v ?? 0) || 0;
  return { received: n(h.received), delivered: n(h.delivered), bounced: n(h.bounced), deferred: n(h.deferred) };
}
