/**
 * The reader of one `<acct-file>`: a consumer in the stream's consumer group of
 * that file. Entries are acked only after their lines were written and fsynced,
 * so a crash between read and write leaves them pending; another process takes
 * them with XAUTOCLAIM once they were idle for `claimIdleMs`. At-least-once:
 * a crash after the write but before the ack writes those lines twice.
 */
import type { createRedis } from '@vmta/queue';
import type { Logger } from 'pino';
import type { AcctFile, AcctFileLimits } from './acct-file.js';
import { formatEntry, type CsvRecord, type FilePlan } from './record-format.js';
import { ensureGroup, readGroup, reclaimIdle, type StreamEntry } from './stream-group.js';
import { trimAccounted } from './stream-trim.js';

type RedisClient = ReturnType<typeof createRedis>;
type Entry = StreamEntry;

export interface GroupConsumerOptions {
  /** For acks, claims and trims. */
  redis: RedisClient;
  /** Only for the blocking XREADGROUP (disconnected to stop it). */
  reader: RedisClient;
  key: string;
  group: string;
  consumer: string;
  file: AcctFile;
  plan: FilePlan;
  log: Logger;
  blockMs: number;
  batchSize: number;
  claimIdleMs: number;
  retryDelayMs: number;
}

export class GroupConsumer {
  private plan: FilePlan;
  private stopping = false;
  private blocking = false;
  private readonly done: Promise<void>;

  constructor(private readonly o: GroupConsumerOptions) {
    this.plan = o.plan;
    this.done = this.run();
  }

  /** A reloaded config: new columns and limits apply from the next batch. */
  update(plan: FilePlan, limits: AcctFileLimits): void {
    this.plan = plan;
    this.o.file.limits = limits;
  }

  /** Stop reading; entries read and not yet written stay pending for another process to claim. */
  async close(): Promise<void> {
    this.stopping = true;
    if (this.blocking) this.o.reader.disconnect();
    await this.done;
    this.o.reader.disconnect();
    await this.forgetSelf().catch(() => {});
    await this.o.redis.quit().catch(() => {});
    this.o.redis.disconnect();
  }

  private async run(): Promise<void> {
    const { log } = this.o;
    let needGroup = true;
    let ownPending = true; // first, what this consumer was given and did not ack (after a failed write)
    let claimCursor = '0-0';
    let lastClaimMs = 0;
    while (!this.stopping) {
      try {
        if (needGroup) {
          // From 0: a new <acct-file> gets every record still in the stream (trimmed as groups consume: what no file has yet).
          await ensureGroup(this.o.redis, this.o.key, this.o.group, '0');
          needGroup = false;
        }
        await this.o.file.tick();
        let entries: Entry[] = [];
        if (Date.now() - lastClaimMs >= this.o.claimIdleMs / 2) {
          const claimed = await reclaimIdle(this.o.redis, this.o, claimCursor);
          [claimCursor, entries] = [claimed.cursor, claimed.entries];
          if (claimCursor === '0-0') lastClaimMs = Date.now();
          if (entries.length > 0) log.info({ event: 'claimed', count: entries.length }, 'took accounting entries of a stopped writer');
        }
        if (entries.length === 0) entries = await this.read(ownPending ? '0' : '>');
        if (ownPending && entries.length === 0) ownPending = false;
        if (entries.length > 0) await this.handle(entries);
      } catch (err) {
        if (this.stopping) break;
        const message = (err as Error).message;
        if (/NOGROUP/.test(message)) needGroup = true;
        ownPending = true;
        log.error({ event: 'error', err }, 'accounting write failed; will retry');
        await sleep(this.o.retryDelayMs);
      }
    }
  }

  private async read(from: '0' | '>'): Promise<Entry[]> {
    this.blocking = from === '>';
    try {
      return await readGroup(this.o.reader, this.o, from);
    } finally {
      this.blocking = false;
    }
  }

  private async handle(entries: Entry[]): Promise<void> {
    const { redis, key, group, file, log } = this.o;
    const records: CsvRecord[] = [];
    for (const [, fields] of entries) {
      const rec = fields === null ? undefined : formatEntry(fields, this.plan);
      if (rec !== undefined) records.push(rec);
    }
    await file.append(records);
    // Entries of types this file does not take (and deleted ones) are acked too: the file is done with them.
    await redis.xack(key, group, ...entries.map(([id]) => id));
    log.debug({ event: 'written', entries: entries.length, lines: records.length }, 'accounting records written');
    try {
      await trimAccounted(redis, key);
    } catch (err) {
      log.warn({ event: 'trim-failed', err }, 'could not trim the accounting stream');
    }
  }

  /** On a clean stop, drop this consumer from the group if it holds nothing (consumer names are per process). */
  private async forgetSelf(): Promise<void> {
    const { redis, key, group, consumer } = this.o;
    const mine = (await redis.xpending(key, group, '-', '+', 1, consumer)) as unknown[];
    if (mine.length === 0) await redis.xgroup('DELCONSUMER', key, group, consumer);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
