/** The index of queue names: every queue that holds mail or did lately (the enqueue script adds to it, retireQueue takes idle ones out). */
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** Every queue name of the index, sorted. */
export async function queueNames(redis: Redis, keys: Keys): Promise<string[]> {
  return (await redis.smembers(keys.queueIndex())).sort();
}

/** Whether a queue of exactly this name has held mail. */
export async function hasQueue(redis: Redis, keys: Keys, queue: string): Promise<boolean> {
  return (await redis.sismember(keys.queueIndex(), queue)) === 1;
}

/** How many queues the index holds. */
export async function queueCount(redis: Redis, keys: Keys): Promise<number> {
  return redis.scard(keys.queueIndex());
}
