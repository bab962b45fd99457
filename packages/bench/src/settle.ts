/**
 * When has an MTA finished the work a run gave it? The CPU window of a run closes when the sink has
 * the last message, but the MTA keeps working after that (our delivery's completions, Redis's fsyncs,
 * Postfix's queue clean-up and logging). The settle rule: the MTA is idle once every one of its meters
 * used at most `maxCoreShare` of one core over the last `quietMs`; the bench gives up waiting after
 * `capMs`. Meters read the scheduler's run time (schedstat, nanoseconds; proc-stat.ts), so the 2 % of a
 * core over 500 ms (10 ms of CPU) is a threshold, not a resolution: a timer that fires now and then does
 * not keep a process "busy".
 */

export interface SettleRule {
  quietMs: number;
  maxCoreShare: number;
  capMs: number;
  /** How often the meters are read while waiting. */
  everyMs: number;
}

export const SETTLE_RULE: SettleRule = { quietMs: 500, maxCoreShare: 0.02, capMs: 10_000, everyMs: 100 };

/** One reading of the watched meters: ms since the waiting started, CPU seconds of each meter so far. */
export interface SettleSample {
  ms: number;
  cpu: number[];
}

export interface Settled {
  /** The sample that ends the first quiet stretch (the reading to take), or the last sample when capped. */
  index: number;
  /** When the quiet stretch began (ms after the waiting started): how long the MTA kept working. */
  busyMs: number;
  /** Still busy at the cap: `index` is the last sample and busyMs the cap. */
  capped: boolean;
}

/** Float noise of summed tick counts is far below one tick. */
const EPS = 1e-9;

/**
 * The first sample that ends a quiet stretch: over the `quietMs` (or more) before it, back to the
 * latest sample at least that far back, every meter used at most `maxCoreShare` of a core. Undefined
 * while there is none (keep waiting) unless the samples reach the cap.
 */
export function settledAt(samples: readonly SettleSample[], rule: SettleRule = SETTLE_RULE): Settled | undefined {
  let from = -1;
  for (let j = 1; j < samples.length; j++) {
    const end = samples[j]!;
    while (from + 1 < j && end.ms - samples[from + 1]!.ms >= rule.quietMs) from++;
    if (from < 0) continue;
    const start = samples[from]!;
    const allowed = (rule.maxCoreShare * (end.ms - start.ms)) / 1000 + EPS;
    if (end.cpu.every((c, k) => c - start.cpu[k]! <= allowed)) return { index: j, busyMs: start.ms, capped: false };
  }
  const last = samples.length - 1;
  if (last >= 0 && samples[last]!.ms >= rule.capMs) return { index: last, busyMs: rule.capMs, capped: true };
  return undefined;
}
