/** `vmta start`'s entry in the cluster's process list (`vmta show status`), with its heartbeat. */
import { readFileSync } from 'node:fs';
import { createRedis, READABLE_BODY_ENCODINGS, registerProcess, type ProcessRole } from '@vmta/queue';
import type { Logger } from 'pino';

export interface Registered {
  id: string;
  /** When the last heartbeat Redis acknowledged was sent (ms). */
  lastBeatAt(): number | undefined;
  update(serves: { vmtas: string[]; listeners: string[] }): Promise<void>;
  close(): Promise<void>;
}

export function cliVersion(): string | undefined {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * Puts this process in the cluster's process list (`vmta show status`) with a
 * heartbeat. Not fatal when Redis refuses: the MTA runs, it is just not listed.
 */
export async function registerThisProcess(
  redisUrl: string,
  role: ProcessRole,
  serves: { vmtas: string[]; listeners: string[] },
  log: Logger,
  id?: string,
  config?: string,
): Promise<Registered | undefined> {
  const redis = createRedis(redisUrl, 'delivery', { maxRetriesPerRequest: 1 });
  redis.on('error', (err: Error) => log.debug({ event: 'registry-redis-error', err: err.message }, 'process registry: redis error'));
  try {
    const registration = await registerProcess(
      redis,
      { role, version: cliVersion(), bodyEncodings: [...READABLE_BODY_ENCODINGS], ...serves, ...(id ? { id } : {}), ...(config ? { config } : {}) },
      { prefix: process.env.VMTA_PREFIX, onError: (err) => log.warn({ event: 'heartbeat-failed', err: err.message }, 'process registry: heartbeat failed') },
    );
    return {
      id: registration.id,
      lastBeatAt: () => registration.lastBeatAt,
      async update(changes) {
        await registration.update(changes).catch((err: Error) => log.warn({ event: 'registry-update-failed', err: err.message }, 'process registry: could not update'));
      },
      async close() {
        await registration.deregister().catch((err: Error) => log.warn({ event: 'deregister-failed', err: err.message }, 'process registry: could not deregister'));
        redis.disconnect();
      },
    };
  } catch (err) {
    log.warn({ event: 'register-failed', err: (err as Error).message }, 'process registry: could not register this process');
    redis.disconnect();
    return undefined;
  }
}
