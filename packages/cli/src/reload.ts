/**
 * Reloading the configuration of a running process: SIGHUP for this process,
 * `vmta reload` (a message on the cluster's control channel) for all of them.
 * A configuration with errors is refused: the process keeps the old one. So is one that `check`
 * finds unusable with this process's REDIS_URL (e.g. `redis-wait-replicas 1` on a URL with
 * `wait-timeout=0`, which would wait forever before 250): nothing of it is applied.
 */
import { checkConfigFile, formatDiagnostic, type VmtaConfig } from '@vmta/config';
import { createRedis, Keys } from '@vmta/queue';
import type { Logger } from 'pino';

export interface ReloadResult {
  ok: boolean;
  errors?: string[];
}

export interface ReloadWatch {
  reload(): Promise<ReloadResult>;
  close(): Promise<void>;
}

export const RELOAD_MESSAGE = 'reload';

export async function watchReload(options: {
  file: string;
  redisUrl: string;
  prefix?: string;
  log: Logger;
  apply: (config: VmtaConfig) => void | Promise<void>;
  /** What makes `config` unusable for this process (one line), or undefined. Checked before anything is applied. */
  check?: (config: VmtaConfig) => string | undefined;
}): Promise<ReloadWatch> {
  const { file, log } = options;
  const reload = async (): Promise<ReloadResult> => {
    const checked = checkConfigFile(file);
    for (const w of checked.warnings) log.warn({ event: 'config-warning' }, formatDiagnostic(w));
    if (!checked.config) {
      const errors = checked.errors.map(formatDiagnostic);
      for (const e of errors) log.error({ event: 'config-error' }, e);
      log.error({ event: 'reload-refused', config: file, errors: errors.length }, 'configuration has errors: still running on the previous one');
      return { ok: false, errors };
    }
    const problem = options.check?.(checked.config);
    if (problem) {
      log.error({ event: 'reload-refused', config: file, err: problem }, `${problem}: still running on the previous configuration`);
      return { ok: false, errors: [problem] };
    }
    try {
      await options.apply(checked.config);
    } catch (err) {
      // Not refused (parts may already run on the new file), but never an unhandled rejection.
      log.error({ event: 'reload-failed', config: file, err: (err as Error).message }, 'applying the configuration failed');
      return { ok: false, errors: [(err as Error).message] };
    }
    log.info({ event: 'config-reloaded', config: file }, 'configuration reloaded');
    return { ok: true };
  };
  const onHup = () => void reload();
  process.on('SIGHUP', onHup);
  const channel = new Keys(options.prefix).controlChannel();
  const sub = createRedis(options.redisUrl, 'delivery');
  sub.on('error', (err: Error) => log.warn({ event: 'control-channel-error', err: err.message }, 'control channel error'));
  sub.on('message', (_channel: string, message: string) => {
    if (message === RELOAD_MESSAGE) void reload();
  });
  await sub.subscribe(channel);
  return {
    reload,
    async close() {
      process.off('SIGHUP', onHup);
      sub.disconnect();
    },
  };
}
