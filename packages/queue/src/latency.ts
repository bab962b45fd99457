/**
 * Delivery latency (received → delivered) of the whole cluster, per VMTA, as
 * histogram counters in one Redis hash: fields `<vmta>|<bucket index>` and `<vmta>|sum`
 * (seconds). Written by the recordOutcomes script (scripts/record-outcomes.ts); turned into a
 * Prometheus histogram (cumulative buckets) on each scrape. The count is the sum of the buckets:
 * a `<vmta>|count` field written by older versions is ignored (recordOutcomes no longer keeps it,
 * one HINCRBY a delivery less).
 */
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** Upper bounds (seconds): a second to a day, the range between a warm queue and a retried one. */
export const LATENCY_BUCKETS = [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600] as const;

export interface LatencyHistogram {
  /** Non-cumulative count per bucket, in LATENCY_BUCKETS order, then +Inf. */
  buckets: number[];
  count: number;
  sum: number;
}

/** Index of the bucket a latency falls in (LATENCY_BUCKETS.length = +Inf). */
export function latencyBucket(seconds: number): number {
  const i = LATENCY_BUCKETS.findIndex((le) => seconds <= le);
  return i === -1 ? LATENCY_BUCKETS.length : i;
}

/** Every VMTA's histogram. */
export async function latencyHistograms(redis: Redis, keys: Keys): Promise<Map<string, LatencyHistogram>> {
  const h = await redis.hgetall(keys.deliveryLatency());
  const out = new Map<string, LatencyHistogram>();
  for (const [field, value] of Object.entries(h)) {
    const at = field.lastIndexOf('|');
    const vmta = field.slice(0, at);
    const part = field.slice(at + 1);
    let hist = out.get(vmta);
    if (!hist) {
      hist = { buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0), count: 0, sum: 0 };
      out.set(vmta, hist);
    }
    if (part === 'sum') hist.sum = Number(value);
    else if (/^\d+$/.test(part) && Number(part) <= LATENCY_BUCKETS.length) hist.buckets[Number(part)] = Number(value);
  }
  for (const hist of out.values()) hist.count = hist.buckets.reduce((a, b) => a + b, 0);
  return out;
}
