/**
 * One BullMQ Worker per dispatch lane this process takes: the lane of every
 * VMTA its host can serve, plus the shared lane (bounce-after sweeps, deletes,
 * and tokens left there by an older version). A process never takes a token it
 * cannot send from, so tokens do not wander between hosts.
 *
 * Cost: one blocking Redis connection per lane and process (VMTAs are tens or
 * hundreds, not the thousands of mail queues, which never get a connection).
 */
import { Worker, type Job } from 'bullmq';
import { DISPATCH_QUEUE, laneName, type TokenData } from '@vmta/queue';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface LaneOptions {
  connection: Redis;
  /** BullMQ prefix (Keys#bullPrefix). */
  prefix: string;
  /** Tokens worked on at once, per VMTA lane. */
  concurrency: number;
  /** Tokens (sweeps) worked on at once in the shared lane. */
  sharedConcurrency: number;
  stalledIntervalMs: number;
  process: (job: Job<TokenData>, token: string | undefined) => Promise<unknown>;
  onCompleted: (job: Job<TokenData>) => void;
  /** A token threw (not a wait): it is gone from BullMQ and must be added again. */
  onFailed: (job: Job<TokenData>, err: Error) => void;
  log: Logger;
}

export class LaneWorkers {
  private readonly workers = new Map<string, Worker<TokenData>>();
  private readonly retiring = new Set<Promise<void>>();

  constructor(private readonly options: LaneOptions) {
    this.start(DISPATCH_QUEUE, options.sharedConcurrency);
  }

  /** Lanes taken now (the shared one included). */
  get names(): string[] {
    return [...this.workers.keys()];
  }

  /** Takes the lanes of these VMTAs and lets go of the others (their running tokens finish first). */
  serve(vmtas: readonly string[]): { added: string[]; removed: string[] } {
    const wanted = new Set(vmtas.map(laneName));
    const added = [...wanted].filter((name) => !this.workers.has(name));
    const removed = [...this.workers.keys()].filter((name) => name !== DISPATCH_QUEUE && !wanted.has(name));
    for (const name of added) this.start(name, this.options.concurrency);
    for (const name of removed) {
      const worker = this.workers.get(name)!;
      this.workers.delete(name);
      const closing = worker.close().catch((err: Error) => this.options.log.warn({ event: 'lane-close-failed', lane: name, err: err.message }, 'lane close failed'));
      this.retiring.add(closing);
      void closing.finally(() => this.retiring.delete(closing));
    }
    return { added, removed };
  }

  /** Waits for running tokens (they hand back when the process is stopping) and closes every lane. */
  async close(): Promise<void> {
    await Promise.all([...[...this.workers.values()].map((w) => w.close()), ...this.retiring]);
    this.workers.clear();
  }

  private start(name: string, concurrency: number): void {
    const { log } = this.options;
    const stalled = this.options.stalledIntervalMs;
    const worker = new Worker<TokenData>(name, (job, token) => this.options.process(job, token), {
      connection: this.options.connection,
      prefix: this.options.prefix,
      concurrency,
      stalledInterval: stalled,
      lockDuration: stalled * 2,
      // A token that stalled (its process died) must never end up failed: it goes back to wait.
      maxStalledCount: Number.MAX_SAFE_INTEGER,
    });
    worker.on('completed', (job) => this.options.onCompleted(job));
    worker.on('failed', (job, err) => {
      log.error({ event: 'token-failed', lane: name, queue: job?.data.queue, err: err.message }, 'token failed; it will be added again');
      if (job) this.options.onFailed(job, err);
    });
    worker.on('error', (err) => log.error({ event: 'worker-error', lane: name, err: err.message }, 'worker error'));
    this.workers.set(name, worker);
  }
}
