/**
 * The reader of one `<acct-file>`: a consumer in the stream's consumer group of
 * that file. Entries are acked only after their lines were written and fsynced,
 * so a crash between read and write leaves them pending; another process takes
 * them with XAUTOCLAIM once they were idle for `claimIdleMs`. At-least-once:
 * a crash after the write but before the ack writes those lines twice.
 */
import type { AcctFile, AcctFileLimits } from './acct-file.js';
import { formatEntry, type CsvRecord, type FilePlan } from './record-format.js';
import { GroupLoopRunner, type StreamEntry } from './stream-group.js';
import type { StreamMemberOptions } from './stream-service.js';
import { trimAccounted } from './stream-trim.js';

type Entry = StreamEntry;

/** Where the records go: an accounting file, or a program's input (acct-pipe.ts). */
export type AccountingSink = Pick<AcctFile, 'append' | 'tick' | 'limits'>;

export interface GroupConsumerOptions extends StreamMemberOptions {
  file: AccountingSink;
  plan: FilePlan;
  retryDelayMs: number;
}

export class GroupConsumer {
  private plan: FilePlan;
  private stopping = false;
  private readonly loop = new GroupLoopRunner();
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
    await this.loop.stop(this.o, this.done);
  }

  private run(): Promise<void> {
    const { log } = this.o;
    return this.loop.run({
      ...this.o,
      // From 0: a new <acct-file> gets every record still in the stream (trimmed as groups consume: what no file has yet).
      start: '0',
      stopping: () => this.stopping,
      beforeRead: () => this.o.file.tick(),
      handle: (entries) => this.handle(entries),
      claimed: (entries) => log.info({ event: 'claimed', count: entries.length }, 'took accounting entries of a stopped writer'),
      failed: async (err) => {
        log.error({ event: 'error', err }, 'accounting write failed; will retry');
        await sleep(this.o.retryDelayMs);
        return true;
      },
    });
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
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
