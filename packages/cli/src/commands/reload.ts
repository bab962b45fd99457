/**
 * `vmta reload`: every running process of the cluster re-reads its configuration file. A process keeps its
 * configuration when the file has errors and only its log says so; so the files the live processes of this
 * host run are checked here too, and their errors printed (exit 1), as `pmta reload` reports a broken file.
 */
import os from 'node:os';
import { checkConfigFile, formatDiagnostic } from '@vmta/config';
import { createRedis, Keys, listProcesses } from '@vmta/queue';
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
    const keys = new Keys(target.prefix);
    const receivers = await redis.publish(keys.controlChannel(), RELOAD_MESSAGE);
    process.stdout.write(`reload sent to ${receivers} process${receivers === 1 ? '' : 'es'}; each logs "reloaded" or the errors that made it keep its configuration\n`);
    const host = os.hostname();
    const files = new Set((await listProcesses(redis, keys)).filter((p) => p.alive && p.host === host && p.config).map((p) => p.config!));
    let broken = false;
    for (const file of [...files].sort()) {
      const checked = checkConfigFile(file);
      if (checked.config) continue;
      broken = true;
      for (const e of checked.errors) process.stderr.write(`${formatDiagnostic(e)}\n`);
      process.stderr.write(`vmta reload: ${file} has errors: the processes of this host that run it keep their previous configuration\n`);
    }
    return receivers > 0 && !broken ? EXIT.ok : EXIT.configInvalid;
  } catch (err) {
    process.stderr.write(`vmta reload: Redis at ${target.url} is unreachable: ${(err as Error).message}\n`);
    return EXIT.unavailable;
  } finally {
    redis.disconnect();
  }
}
