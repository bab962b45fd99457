/**
 * Cluster-wide delivery rates of a queue (`max-msg-rate`: attempted recipients;
 * `max-connect-rate`: new connections), one Lua call per take, shared by every
 * delivery process on every host.
 *
 * Algorithm: GCRA (generic cell rate algorithm). A rate of `count` per `perMs`
 * is one cell every T = perMs / count; the only state is the theoretical
 * arrival time (TAT) of the next cell, one small string key per limit, O(1)
 * per call whatever the rate. A sliding log would need a sorted-set entry per
 * cell (up to `count` per queue), and a sliding-window counter is only an
 * approximation. TAT is kept exactly, as `ms:rem` meaning ms + rem/count, so
 * rates like 83/10m never drift through rounding.
 *
 * With the default burst of 1 the cells are spread evenly: never more than
 * `count` in any window of `perMs` (an exact limit for the receiving side to
 * see). A burst b lets b cells go at once after an idle period, and then allows
 * up to count + b - 1 in a window of `perMs`; the long-run rate is the same.
 */
import type { Redis } from 'ioredis';
import { Keys } from './keys.js';
import { scripts, type QueueScripts } from './scripts/index.js';

/** The rate limits of a queue this limiter keeps, by directive name. */
export type DeliveryRateName = 'max-msg-rate' | 'max-connect-rate';

export interface DeliveryRateKey {
  queue: string;
  limit: DeliveryRateName;
}

/**
 * `count` per `perMs`, as the config parses it (`100/h`), or 'unlimited'.
 * PowerMTA does not document `0` for max-msg-rate / max-connect-rate; the
 * config accepts it (`{ count: 0 }`) and we treat it as unlimited, like its
 * other "0 = unlimited" directives. Stopping a queue is what pause is for.
 */
export type DeliveryRate = 'unlimited' | { count: number; perMs: number; burst?: number };

export interface RateTake {
  /** How many of the n asked for may go now (0..n). */
  allowed: number;
  /** When not all of n were allowed: the earliest time (ms) the next one may go. */
  retryAtMs?: number;
}

function positiveInteger(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

/** True when the rate lets everything through (`unlimited`, or a count of 0). */
export function isUnlimitedRate(rate: DeliveryRate): rate is 'unlimited' | { count: 0; perMs: number } {
  return rate === 'unlimited' || rate.count === 0;
}

export class DeliveryRateLimiter {
  readonly keys: Keys;
  private readonly scripts: QueueScripts;

  constructor(
    private readonly r: Redis,
    prefix?: string,
  ) {
    this.keys = new Keys(prefix);
    this.scripts = scripts(r);
  }

  /**
   * Takes up to `n` cells (recipients, connections) of the rate at `now`:
   * as many as may go now are counted as used and returned in `allowed`; the
   * rest are not counted. Ask again at `retryAtMs` for the rest.
   */
  async take(key: DeliveryRateKey, rate: DeliveryRate, n = 1, now = Date.now()): Promise<RateTake> {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
    if (n === 0 || isUnlimitedRate(rate)) return { allowed: n };
    const count = positiveInteger('rate.count', rate.count);
    const perMs = positiveInteger('rate.perMs', rate.perMs);
    const burst = positiveInteger('rate.burst', rate.burst ?? 1);
    const [allowed = 0, retryAtMs] = await this.scripts.takeRate(
      this.keys.queueRateLimit(key.queue, key.limit),
      Math.floor(now),
      count,
      perMs,
      burst,
      n,
    );
    return retryAtMs === undefined ? { allowed } : { allowed, retryAtMs };
  }

  /** Forgets the rate's history (e.g. after the operator changed the rate). */
  async reset(key: DeliveryRateKey): Promise<void> {
    await this.r.del(this.keys.queueRateLimit(key.queue, key.limit));
  }
}
