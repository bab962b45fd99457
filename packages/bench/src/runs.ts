/**
 * Several runs of one measurement: medians with their spread, and the check
 * every run must pass before its figures mean anything (the sink got exactly
 * what was sent, nothing deferred or bounced, the load generator succeeded).
 */

export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** Median of the finite values (mean of the middle two for an even count); NaN when there are none. */
export function median(values: readonly number[]): number {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return Number.NaN;
  const mid = xs.length >> 1;
  return xs.length % 2 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
}

/** Median, min and max of the finite values; a failed run's NaN is left out but still counted in `runs`. */
export function spread(values: readonly (number | undefined)[]): Spread {
  const xs = values.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return {
    median: median(xs),
    min: xs.length ? Math.min(...xs) : Number.NaN,
    max: xs.length ? Math.max(...xs) : Number.NaN,
    runs: values.length,
  };
}

/** What a run's check looks at (a subset of RunFigures, so old results still check). */
export interface Checked {
  messages: number;
  sinkCount: number;
  sourceExitCode: number | null;
  /** Deferrals / bounces the MTA recorded during the run; undefined when there is no MTA (direct). */
  deferred?: number;
  bounced?: number;
  endToEndMs: number;
}

export interface CheckResult {
  ok: boolean;
  /** Why not, in a few words; empty when ok. */
  problems: string[];
}

export function checkRun(r: Checked): CheckResult {
  const problems: string[] = [];
  if (r.sinkCount !== r.messages) problems.push(`sink got ${r.sinkCount} of ${r.messages}`);
  if (!Number.isFinite(r.endToEndMs)) problems.push('did not finish in time');
  if (r.sourceExitCode !== 0) problems.push(`load generator exited ${r.sourceExitCode}`);
  if (r.deferred !== undefined && r.deferred > 0) problems.push(`${r.deferred} deferred`);
  if (r.bounced !== undefined && r.bounced > 0) problems.push(`${r.bounced} bounced`);
  return { ok: problems.length === 0, problems };
}

/**
 * Which MTA goes first in run i: alternating, so a drift in the machine's load
 * (other users of the box) hits Postfix and vmta alike.
 */
export function runOrder(i: number): ['postfix', 'vmta'] | ['vmta', 'postfix'] {
  return i % 2 === 0 ? ['postfix', 'vmta'] : ['vmta', 'postfix'];
}
