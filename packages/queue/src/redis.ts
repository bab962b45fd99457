/** Redis connections with the options each role needs. */
import { Redis, type RedisOptions } from 'ioredis';
import { parseRedisUrl } from './redis-url.js';
import { coalesceWrites } from './redis-writes.js';

export type RedisRole = 'listener' | 'delivery' | 'cli';

/**
 * The listener must answer 451 at once when Redis is away, never hold DATA
 * open waiting for it: no offline queue, no retries, a command timeout.
 *
 * `url` may name a Sentinel set (see redis-url.ts): the connection asks the Sentinels for the
 * master and follows a failover by itself (each reconnect asks them again), and so do its
 * duplicates (BullMQ's connections are duplicates of these).
 */
export function createRedis(url: string, role: RedisRole, extra: RedisOptions = {}): Redis {
  const base: RedisOptions =
    role === 'listener'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 5000, connectTimeout: 2000 }
      : role === 'cli'
        ? { maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null }
        : { maxRetriesPerRequest: null };
  const options: RedisOptions = {
    ...base,
    retryStrategy: base.retryStrategy ?? ((times) => Math.min(times * 200, 2000)),
    lazyConnect: false,
    ...extra,
  };
  const target = parseRedisUrl(url);
  // Delivery's runs answer many replies in one turn: their next commands leave in one write; the
  // listener's sessions read in one event-loop iteration send theirs in one write (redis-writes.ts).
  const made = role === 'delivery' ? (r: Redis) => coalesceWrites(r) : role === 'listener' ? (r: Redis) => coalesceWrites(r, 'iteration') : (r: Redis) => r;
  if (target.kind === 'single') return made(new Redis(target.url, options));
  return made(new Redis({
    ...options,
    sentinels: target.sentinels,
    name: target.name,
    db: target.db,
    ...(target.username !== undefined ? { username: target.username } : {}),
    ...(target.password !== undefined ? { password: target.password } : {}),
    ...(target.sentinelPassword !== undefined ? { sentinelPassword: target.sentinelPassword } : {}),
    // Not ioredis' failoverDetector: its reconnect at +switch-master can land in the middle of a
    // reconnect already under way, and that connection then ends for good ("Connection is closed",
    // seen in the delivery failover test). A primary that died is left by reconnecting (which asks
    // the Sentinels again); one that was demoted but still answers refuses writes with READONLY,
    // and that reconnects (and resends the command).
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
    // As the connection retries (a CLI command gives up at once), asking the Sentinels again each time.
    sentinelRetryStrategy: (times) => options.retryStrategy?.(times) ?? null,
  }));
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
