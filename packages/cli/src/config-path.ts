/**
 * Which configuration file a command uses: --config, then $VMTA_CONFIG, then the one the cluster's live
 * processes on this host run (recorded at `vmta start`), then config/vmta.conf.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { createRedis, Keys, listProcesses } from '@vmta/queue';
import { redisTarget } from './redis-target.js';

export const DEFAULT_CONFIG = 'config/vmta.conf';

/** --config, then $VMTA_CONFIG, then config/vmta.conf: for `vmta start` and `vmta check`, which run a file, not a cluster. */
export function configPath(explicit: string | undefined): string {
  return explicit ?? process.env.VMTA_CONFIG ?? DEFAULT_CONFIG;
}

/**
 * For commands that describe the running cluster (show settings, show vmtas, the notices of set queue and
 * disable source): like configPath, but before the default the file the live processes of this host run,
 * when they all run the same one and it is there. A `vmta start --config /etc/vmta/vmta.conf` must not be
 * described from the example config of the directory the operator happens to be in.
 */
export async function clusterConfigPath(explicit: string | undefined): Promise<string> {
  return explicit ?? process.env.VMTA_CONFIG ?? (await runningConfig()) ?? DEFAULT_CONFIG;
}

async function runningConfig(): Promise<string | undefined> {
  const target = redisTarget();
  if (!target) return undefined;
  const redis = createRedis(target.url, 'cli');
  redis.on('error', () => undefined);
  try {
    const host = os.hostname();
    const files = new Set((await listProcesses(redis, new Keys(target.prefix))).filter((p) => p.alive && p.host === host && p.config).map((p) => p.config!));
    const [file] = files;
    return files.size === 1 && existsSync(file!) ? file : undefined;
  } catch {
    // Redis away: the commands that need it say so themselves; the configuration is read from the default.
    return undefined;
  } finally {
    redis.disconnect();
  }
}
