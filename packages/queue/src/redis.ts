/** Redis connections with the options each role needs. */
import { Redis, type RedisOptions } from 'ioredis';

export type RedisRole = 'listener' | 'delivery' | 'cli';

/**
 * The listener must answer 451 at once when Redis is away, never hold DATA
 * open waiting for it: no offline queue, no retries, a command timeout.
 */
export function createRedis(url: string, role: RedisRole, extra: RedisOptions = {}): Redis {
  const base: RedisOptions =
    role === 'listener'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 5000, connectTimeout: 2000 }
      : role === 'cli'
        ? { maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null }
        : { maxRetriesPerRequest: null };
  return new Redis(url, {
    ...base,
    retryStrategy: base.retryStrategy ?? ((times) => Math.min(times * 200, 2000)),
    lazyConnect: false,
    ...extra,
  });
}

/** Resolves once the connection is ready (a listener connection fails commands until then). */
export async function redisReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`Redis not ready after ${timeoutMs} ms (status ${redis.status})`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}
