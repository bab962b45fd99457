/**
 * What the two services on the accounting stream (the `<acct-file>` writers, the `<webhook>`
 * forwarders) share: the options they start with, and what each of their group members gets:
 * its two connections, the stream, its consumer name and the read timings.
 */
import os from 'node:os';
import type { VmtaConfig } from '@vmta/config';
import { createRedis, Keys } from '@vmta/queue';
import type { Logger } from 'pino';

type RedisClient = ReturnType<typeof createRedis>;

export interface StreamServiceOptions {
  config: VmtaConfig;
  redisUrl: string;
  prefix?: string;
  logger?: Logger;
  /** Unique per process; default `<hostname>:<pid>`. */
  consumer?: string;
  /** How long one XREADGROUP waits for entries (ms). Default 2000. */
  blockMs?: number;
  /** Entries read per XREADGROUP (the default is the service's). */
  batchSize?: number;
  /** Pending entries idle this long belong to a dead process and are claimed (ms). Default 60000. */
  claimIdleMs?: number;
}

/** One member of a consumer group on the stream. */
export interface StreamMemberOptions {
  /** For acks, claims and trims. */
  redis: RedisClient;
  /** Only for the blocking XREADGROUP (disconnected to stop it). */
  reader: RedisClient;
  key: string;
  group: string;
  consumer: string;
  log: Logger;
  blockMs: number;
  batchSize: number;
  claimIdleMs: number;
}

/** What every member of a service's groups shares (all but its group and log), from the service's options. */
export function streamMembers(options: StreamServiceOptions, defaultBatchSize: number) {
  const shared = {
    key: new Keys(options.prefix ?? 'vmta').accounting(),
    consumer: options.consumer ?? `${os.hostname()}:${process.pid}`,
    blockMs: options.blockMs ?? 2000,
    batchSize: options.batchSize ?? defaultBatchSize,
    claimIdleMs: options.claimIdleMs ?? 60_000,
  };
  return {
    ...shared,
    /** The shared settings with two new connections, for one more member. */
    member: () => ({ ...shared, redis: createRedis(options.redisUrl, 'delivery'), reader: createRedis(options.redisUrl, 'delivery') }),
  };
}
