/**
 * The consumer-group steps shared by the readers of the accounting stream (`<acct-file>` writers and
 * `<webhook>` forwarders): create the group, read (own pending or new entries), take a dead
 * consumer's entries with XAUTOCLAIM.
 */
import type { createRedis } from '@vmta/queue';

type RedisClient = ReturnType<typeof createRedis>;
export type StreamEntry = [id: string, fields: string[] | null];

/** XGROUP CREATE ... MKSTREAM from `start`; an existing group is left as it is. */
export async function ensureGroup(redis: RedisClient, key: string, group: string, start: '0' | '$'): Promise<void> {
  try {
    await redis.xgroup('CREATE', key, group, start, 'MKSTREAM');
  } catch (err) {
    if (!/BUSYGROUP/.test((err as Error).message)) throw err;
  }
}

/** XREADGROUP: `0` = entries given to this consumer and not acked; `>` = new entries, blocking up to blockMs. */
export async function readGroup(
  reader: RedisClient,
  o: { key: string; group: string; consumer: string; batchSize: number; blockMs: number },
  from: '0' | '>',
): Promise<StreamEntry[]> {
  const { group, consumer, key, batchSize, blockMs } = o;
  const reply = (from === '>'
    ? await reader.xreadgroup('GROUP', group, consumer, 'COUNT', batchSize, 'BLOCK', blockMs, 'STREAMS', key, '>')
    : await reader.xreadgroup('GROUP', group, consumer, 'COUNT', batchSize, 'STREAMS', key, '0')) as Array<[string, StreamEntry[]]> | null;
  return reply?.[0]?.[1] ?? [];
}

/**
 * XAUTOCLAIM entries idle for claimIdleMs (a dead consumer's, in practice) from `cursor`. `gone`: ids
 * the group held that were trimmed away (Redis 7), already acked here.
 */
export async function reclaimIdle(
  redis: RedisClient,
  o: { key: string; group: string; consumer: string; batchSize: number; claimIdleMs: number },
  cursor: string,
): Promise<{ cursor: string; entries: StreamEntry[]; gone: string[] }> {
  const { key, group, consumer, claimIdleMs, batchSize } = o;
  const reply = (await redis.xautoclaim(key, group, consumer, claimIdleMs, cursor, 'COUNT', batchSize)) as unknown[];
  const entries = (Array.isArray(reply[1]) ? reply[1] : []) as StreamEntry[];
  const gone = (Array.isArray(reply[2]) ? reply[2] : []) as string[];
  if (gone.length > 0) await redis.xack(key, group, ...gone);
  return { cursor: typeof reply[0] === 'string' ? reply[0] : '0-0', entries, gone };
}
