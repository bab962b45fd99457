/**
 * Loaded into a listener with `--import` when BENCH_GC_DIR names a directory (gc-window.ts), never by the
 * product: every garbage collection V8 reports (PerformanceObserver, entry type 'gc') is appended to
 * `<dir>/pid-<pid>.gc`, one line each: `<start, ms since the epoch> <duration ms> <kind>`. Lines are
 * written in batches every 100 ms and at exit; gc-window.ts reads them back per measured window.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { constants, PerformanceObserver, performance, type PerformanceEntry } from 'node:perf_hooks';

const dir = process.env.BENCH_GC_DIR;
if (dir) {
  const file = path.join(dir, `pid-${process.pid}.gc`);
  const kinds: Record<number, string> = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-callbacks',
  };
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    appendFileSync(file, pending.join(''));
    pending = [];
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries() as Array<PerformanceEntry & { detail?: { kind?: number } }>) {
      const kind = kinds[e.detail?.kind ?? -1] ?? 'other';
      pending.push(`${(performance.timeOrigin + e.startTime).toFixed(3)} ${e.duration.toFixed(3)} ${kind}\n`);
    }
  }).observe({ entryTypes: ['gc'] });
  setInterval(flush, 100).unref();
  process.on('exit', flush);
}
