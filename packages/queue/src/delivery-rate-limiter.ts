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

// KEYS: tat. ARGV: now, count, perMs, burst, n (all integers, n >= 1).
// TAT stored as "ms:rem" = ms + rem/count. d = (TAT - now) * count, so a cell
// k (1-based) of this call may go when d + (k - 1) * perMs <= (burst - 1) * perMs.
const TAKE = `
local now, count, per = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local burst, n = tonumber(ARGV[4]), tonumber(ARGV[5])
local ms, rem = now, 0
local v = redis.call('GET', KEYS[1])
if v then
  local sep = string.find(v, ':', 1, true)
  local tms, trem = tonumber(string.sub(v, 1, sep - 1)), tonumber(string.sub(v, sep + 1))
  if tms > now or (tms == now and trem > 0) then ms, rem = tms, trem end
end
local d = (ms - now) * count + rem
local allowed = burst - math.ceil(d / per)
if allowed > n then allowed = n end
if allowed < 0 then allowed = 0 end
if allowed > 0 then
  rem = rem + allowed * per
  local carry = rem % count
  ms = ms + (rem - carry) / count
  rem = carry
  redis.call('SET', KEYS[1], string.format('%d:%d', ms, rem), 'PX', math.max(1, ms - now + 1))
end
if allowed == n then return {allowed} end
return {allowed, ms + math.ceil((rem - (burst - 1) * per) / count)}`;

type WithScripts = Redis & {
  vmtaRateTake(key: string, now: number, count: number, perMs: number, burst: number, n: number): Promise<number[]>;
};

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
  private readonly r: WithScripts;

  constructor(redis: Redis, prefix?: string) {
    this.keys = new Keys(prefix);
    if (!('vmtaRateTake' in redis)) redis.defineCommand('vmtaRateTake', { numberOfKeys: 1, lua: TAKE });
    this.r = redis as WithScripts;
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
    const [allowed = 0, retryAtMs] = await this.r.vmtaRateTake(
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
