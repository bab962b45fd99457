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

/** One reader's loop over a group: what it reads from, and what it does with entries and errors. */
export interface GroupLoop {
  redis: RedisClient;
  /** Only for the blocking XREADGROUP (disconnected to stop it). */
  reader: RedisClient;
  key: string;
  group: string;
  consumer: string;
  batchSize: number;
  blockMs: number;
  claimIdleMs: number;
  /** Where a new group starts: `0` every entry kept, `$` from now on. */
  start: '0' | '$';
  stopping(): boolean;
  /** Before each read (file rotation, cap checks). */
  beforeRead(): Promise<void>;
  handle(entries: StreamEntry[]): Promise<void>;
  /** Entries taken from an idle consumer (and ids trimmed away under the group). */
  claimed(entries: StreamEntry[], gone: string[]): void;
  /** After a failed step (logged and waited for by the reader); false ends the loop. */
  failed(err: unknown): Promise<boolean>;
}

/**
 * The loop shared by the group readers: create the group, take idle entries of dead consumers
 * (XAUTOCLAIM, every claimIdleMs/2), first what this consumer was given and did not ack, then new
 * entries (blocking). `blocking` tells `close` whether to disconnect the reader to end a read.
 */
export class GroupLoopRunner {
  blocking = false;

  async run(l: GroupLoop): Promise<void> {
    let needGroup = true;
    let ownPending = true;
    let claimCursor = '0-0';
    let lastClaimMs = 0;
    while (!l.stopping()) {
      try {
        if (needGroup) {
          await ensureGroup(l.redis, l.key, l.group, l.start);
          needGroup = false;
        }
        await l.beforeRead();
        let entries: StreamEntry[] = [];
        if (Date.now() - lastClaimMs >= l.claimIdleMs / 2) {
          const claimed = await reclaimIdle(l.redis, l, claimCursor);
          [claimCursor, entries] = [claimed.cursor, claimed.entries];
          if (claimCursor === '0-0') lastClaimMs = Date.now();
          if (entries.length > 0 || claimed.gone.length > 0) l.claimed(entries, claimed.gone);
        }
        if (entries.length === 0) entries = await this.read(l, ownPending ? '0' : '>');
        if (ownPending && entries.length === 0) ownPending = false;
        if (entries.length > 0) await l.handle(entries);
      } catch (err) {
        if (l.stopping()) break;
        if (/NOGROUP/.test((err as Error).message)) needGroup = true;
        ownPending = true;
        if (!(await l.failed(err))) break;
      }
    }
  }

  /**
   * After the reader's `stopping()` turned true: ends a blocking read, waits for the loop (`done`,
   * what `run` returned), drops the consumer if it holds nothing, and closes both connections.
   */
  async stop(l: Pick<GroupLoop, 'redis' | 'reader' | 'key' | 'group' | 'consumer'>, done: Promise<void>): Promise<void> {
    if (this.blocking) l.reader.disconnect();
    await done;
    l.reader.disconnect();
    await forgetConsumer(l.redis, l.key, l.group, l.consumer).catch(() => {});
    await l.redis.quit().catch(() => {});
    l.redis.disconnect();
  }

  private async read(l: GroupLoop, from: '0' | '>'): Promise<StreamEntry[]> {
    this.blocking = from === '>';
    try {
      return await readGroup(l.reader, l, from);
    } finally {
      this.blocking = false;
    }
  }
}

/** On a clean stop, drop the consumer from the group if it holds nothing (consumer names are per process). */
export async function forgetConsumer(redis: RedisClient, key: string, group: string, consumer: string): Promise<void> {
  const mine = (await redis.xpending(key, group, '-', '+', 1, consumer)) as unknown[];
  if (mine.length === 0) await redis.xgroup('DELCONSUMER', key, group, consumer);
}
