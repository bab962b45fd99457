/**
 * The sweep that retires idle queues: every `intervalMs` one delivery process of the cluster (the
 * one that takes the sweep's lock) walks the queue index and runs retireQueue on each queue. A
 * queue leaves the index after it was seen empty, in normal mode and without outcomes for
 * `idleMs` (QUEUE_RETIRE_IDLE_MS); new mail brings it back (the enqueue script adds it again).
 */
import { Keys, QUEUE_RETIRE_IDLE_MS, type QueueOps } from '@vmta/queue';
import type { Redis } from 'ioredis';

/** How often the sweep runs: a fifth of the idle time, at most every 5 minutes. */
export function retireSweepMs(idleMs: number): number {
  return Math.max(1, Math.min(5 * 60_000, Math.floor(idleMs / 5)));
}

/** One sweep, if no other process runs one in this interval; returns the queues retired. */
export async function retireIdleQueues(redis: Redis, ops: QueueOps, options: { idleMs?: number; intervalMs?: number; now?: () => number } = {}): Promise<string[]> {
  const idleMs = options.idleMs ?? QUEUE_RETIRE_IDLE_MS;
  const keys: Keys = ops.keys;
  const now = options.now ?? Date.now;
  if ((await redis.set(keys.retireSweepLock(), '1', 'PX', Math.max(1, (options.intervalMs ?? retireSweepMs(idleMs)) - 100), 'NX')) !== 'OK') return [];
  const retired: string[] = [];
  let cursor = '0';
  do {
    const [next, names] = await redis.sscan(keys.queueIndex(), cursor, 'COUNT', 500);
    cursor = next;
    for (const name of names) if (await ops.retireIfIdle(name, now(), idleMs)) retired.push(name);
  } while (cursor !== '0');
  return retired;
}
