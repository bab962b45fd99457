/**
 * The cluster-wide bounce-after index as delivery's sweeper uses it (scripts/expiry-index.ts
 * keeps it): which queues are due, a queue's ref, re-scoring after a sweep, and the sweeper's lock.
 */
import type { Redis } from 'ioredis';
import { Keys } from './keys.js';
import type { QueueRef } from './dispatch.js';
import { scripts, type QueueScripts } from './scripts/index.js';

/** Index entries per ZSCAN page of a reindex. */
const REINDEX_PAGE = 500;

export class ExpiryIndex {
  readonly keys: Keys;
  private readonly scripts: QueueScripts;

  constructor(
    private readonly redis: Redis,
    prefix?: string,
  ) {
    this.keys = new Keys(prefix);
    this.scripts = scripts(redis);
  }

  /** Queues due at `now` (score at or before it), earliest first, at most `limit`. */
  due(now: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.expiryIndex(), '-inf', String(now), 'LIMIT', 0, limit);
  }

  /** When the queue's oldest message reaches bounce-after, as the index has it (undefined: not indexed). */
  async dueAt(queue: string): Promise<number | undefined> {
    const score = await this.redis.zscore(this.keys.expiryIndex(), queue);
    return score === null ? undefined : Number(score);
  }

  /** The queue's ref as the scripts that indexed it stored it (its state hash's `ref`). */
  async ref(queue: string): Promise<QueueRef | undefined> {
    const json = await this.redis.hget(this.keys.queueState(queue), 'ref');
    return json ? (JSON.parse(json) as QueueRef) : undefined;
  }

  /** Puts the queue in the index at its oldest message + bounce-after (or keeps an earlier score); false when it holds no mail. */
  index(ref: QueueRef, bounceAfterMs: number): Promise<boolean> {
    return this.scripts.indexExpiry(this.keys, ref, bounceAfterMs);
  }

  /** After a sweep: the score from the current oldest message (now + recheckMs when it is overdue), or out when empty. */
  rescore(queue: string, bounceAfterMs: number, now: number, recheckMs: number): Promise<number | undefined> {
    return this.scripts.rescoreExpiry(this.keys, queue, bounceAfterMs, now, recheckMs);
  }

  /** Takes the sweeper's lock for `owner` when nobody holds it. */
  async lock(owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.keys.expirySweepLock(), owner, 'PX', ttlMs, 'NX')) === 'OK';
  }

  /** Extends the lock while `owner` holds it; false when it was lost. */
  renew(owner: string, ttlMs: number): Promise<boolean> {
    return this.scripts.renewSweepLock(this.keys, owner, ttlMs);
  }

  /**
   * Lowers every indexed queue's score to its oldest message + the bounce-after `bounceAfter` gives
   * now (a reload that shortened it; a longer one is honoured by the sweep itself, which re-scores).
   * A page of the index per two round trips. Returns the queues looked at.
   */
  async reindex(bounceAfter: (ref: QueueRef) => number): Promise<number> {
    let cursor = '0';
    let seen = 0;
    do {
      const [next, flat] = await this.redis.zscan(this.keys.expiryIndex(), cursor, 'COUNT', REINDEX_PAGE);
      cursor = next;
      const queues = flat.filter((_, i) => i % 2 === 0);
      if (queues.length === 0) continue;
      const reads = this.redis.pipeline();
      for (const q of queues) reads.hget(this.keys.queueState(q), 'ref');
      const refs = ((await reads.exec()) ?? []).map(([, json]) => (json ? (JSON.parse(json as string) as QueueRef) : undefined));
      const writes = this.redis.pipeline();
      const queued = this.scripts.on(writes);
      for (const ref of refs) if (ref) queued.indexExpiry(this.keys, ref, bounceAfter(ref));
      await writes.exec();
      seen += queues.length;
    } while (cursor !== '0');
    return seen;
  }

  /** How many queues the index holds. */
  size(): Promise<number> {
    return this.redis.zcard(this.keys.expiryIndex());
  }
}
