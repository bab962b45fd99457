/** The cluster a CLI command talks to (see redis-target.ts): reachable, or a message and exit 69. */
import { Cluster } from '@vmta/control';
import { createRedis } from '@vmta/queue';
import { EXIT } from './exit-codes.js';
import { redisTarget } from './redis-target.js';

export async function withCluster(run: (cluster: Cluster) => Promise<number>): Promise<number> {
  const target = redisTarget();
  if (!target) {
    process.stderr.write('vmta: no Redis to talk to: set REDIS_URL (or run from the directory where `vmta start` keeps data/)\n');
    return EXIT.unavailable;
  }
  const redis = createRedis(target.url, 'cli');
  redis.on('error', () => undefined);
  try {
    await redis.ping();
  } catch (err) {
    process.stderr.write(`vmta: Redis at ${target.url} is unreachable: ${(err as Error).message}\n`);
    redis.disconnect();
    return EXIT.unavailable;
  }
  const cluster = new Cluster(redis, target.prefix);
  try {
    return await run(cluster);
  } finally {
    await cluster.close();
    redis.disconnect();
  }
}
