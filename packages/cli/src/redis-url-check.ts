/** REDIS_URL (and the redis-wait-* directives with it) read before anything starts: a problem is one line, not a stack. */
import type { VmtaConfig } from '@vmta/config';
import { parseRedisUrl, RedisUrlError, waitPolicy } from '@vmta/queue';

/**
 * What is wrong with `url` (with `config`'s redis-wait-* directives), or undefined when it can be
 * used. No url: `vmta start`'s embedded redis-server, which has no replicas to wait for.
 */
export function redisUrlProblem(url: string | undefined, config?: VmtaConfig): string | undefined {
  try {
    const g = config?.global.settings;
    const wait = waitPolicy(parseRedisUrl(url ?? 'redis://embedded'), { replicas: g?.['redis-wait-replicas'] ?? undefined, timeoutMs: g?.['redis-wait-timeout'] ?? undefined });
    if (url === undefined && wait.replicas > 0) {
      return `redis-wait-replicas ${wait.replicas}: the embedded redis-server (no REDIS_URL) has no replicas, every message would get 451; set REDIS_URL or redis-wait-replicas 0`;
    }
    return undefined;
  } catch (err) {
    if (err instanceof RedisUrlError) return err.message;
    throw err;
  }
}
