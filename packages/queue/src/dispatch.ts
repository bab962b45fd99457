/**
 * Dispatch tokens: one BullMQ queue whose jobs are permissions to hold one
 * connection for one mail queue (`<queue>#<slot>`), not messages. See
 * docs/design/queues.md. A waiting queue is one delayed BullMQ job: no timer,
 * no polling.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Keys } from './keys.js';

export const DISPATCH_QUEUE = 'dispatch';

export interface TokenData {
  queue: string;
  slot: number;
}

/** BullMQ job ids may not contain ':' (IPv6 literals do): the id is the encoded queue name and slot. */
export function tokenId(queue: string, slot: number): string {
  return `t!${encodeURIComponent(queue)}!${slot}`;
}

export class Dispatcher {
  readonly bull: Queue<TokenData>;
  private readonly keys: Keys;

  constructor(
    private readonly redis: Redis,
    prefix?: string,
  ) {
    this.keys = new Keys(prefix);
    this.bull = new Queue<TokenData>(DISPATCH_QUEUE, {
      connection: redis,
      prefix: this.keys.bullPrefix(),
      defaultJobOptions: { removeOnComplete: true, removeOnFail: 1000, attempts: 1 },
    });
  }

  /**
   * Makes sure a token exists for the queue's slot. A token that is only
   * sleeping until a recipient is due is woken; one in retry mode or for a
   * paused queue stays as it is.
   */
  async wake(queue: string, slot = 0): Promise<void> {
    const jobId = tokenId(queue, slot);
    const job = await this.bull.add(queue, { queue, slot }, { jobId });
    if ((await job.getState()) !== 'delayed') return;
    const mode = await this.redis.hget(this.keys.queueState(queue), 'mode');
    if (mode !== 'retry' && mode !== 'paused') await job.promote().catch(() => undefined);
  }

  /** Wakes every queue an enqueue marked, then unmarks it (a crash in between only repeats the wake). */
  async sweepWakes(): Promise<number> {
    const queues = await this.redis.smembers(this.keys.wakeSet());
    for (const q of queues) {
      await this.wake(q);
      await this.redis.srem(this.keys.wakeSet(), q);
    }
    return queues.length;
  }

  async close(): Promise<void> {
    await this.bull.close();
  }
}
