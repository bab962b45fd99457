/** `vmta reload`: every running process of the cluster re-reads its configuration file. */
import { createRedis, Keys } from '@vmta/queue';
import { EXIT } from '../exit-codes.js';
import { redisTarget } from '../redis-target.js';
import { RELOAD_MESSAGE } from '../reload.js';

export async function reloadCommand(): Promise<number> {
  const target = redisTarget();
  if (!target) {
    process.stderr.write('vmta reload: no Redis to talk to: set REDIS_URL\n');
    return EXIT.unavailable;
  }
  const redis = createRedis(target.url, 'cli');
  redis.on('error', () => undefined);
  try {
    const receivers = await redis.publish(new Keys(target.prefix).controlChannel(), RELOAD_MESSAGE);
    process.stdout.write(`reload sent to ${receivers} process${receivers === 1 ? '' : 'es'}; each logs "reloaded" or the errors that made it keep its configuration\n`);
    return receivers > 0 ? EXIT.ok : EXIT.configInvalid;
  } catch (err) {
    process.stderr.write(`vmta reload: Redis at ${target.url} is unreachable: ${(err as Error).message}\n`);
    return EXIT.unavailable;
  } finally {
    redis.disconnect();
  }
}
