/**
 * GC time of a listener over measured windows (issue 13: the heap a process holds is marked by every full
 * GC). Bench only, off unless a directory is given: the listener then starts with `--import gc-preload.js`
 * (gcNodeFlags) and BENCH_GC_DIR set, and writes one line per collection to `<dir>/pid-<pid>.gc`.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface GcEntry {
  /** Start, ms since the epoch. */
  start: number;
  durationMs: number;
  kind: string;
}

export interface GcSummary {
  count: number;
  totalMs: number;
  /** Milliseconds per kind (scavenge, mark-compact, incremental, weak-callbacks). */
  msByKind: Record<string, number>;
}

/** Node flags a listener needs to record its collections into `dir`. */
export function gcNodeFlags(dir: string | undefined): string[] {
  return dir ? ['--import', fileURLToPath(new URL('./gc-preload.js', import.meta.url))] : [];
}

/** The lines gc-preload.js wrote; a line cut by a kill -9 is skipped. */
export function parseGcLines(text: string): GcEntry[] {
  const entries: GcEntry[] = [];
  for (const line of text.split('\n')) {
    const [start, duration, kind] = line.split(' ');
    const entry = { start: Number(start), durationMs: Number(duration), kind: kind ?? '' };
    if (kind && Number.isFinite(entry.start) && Number.isFinite(entry.durationMs)) entries.push(entry);
  }
  return entries;
}

/** The collections of process `pid` recorded in `dir` so far. */
export function readGcEntries(dir: string, pid: number): GcEntry[] {
  const file = path.join(dir, `pid-${pid}.gc`);
  return existsSync(file) ? parseGcLines(readFileSync(file, 'utf8')) : [];
}

/** The collections that started in [fromMs, toMs). */
export function gcWindow(entries: readonly GcEntry[], fromMs: number, toMs: number): GcSummary {
  const summary: GcSummary = { count: 0, totalMs: 0, msByKind: {} };
  for (const e of entries) {
    if (e.start < fromMs || e.start >= toMs) continue;
    summary.count++;
    summary.totalMs += e.durationMs;
    summary.msByKind[e.kind] = (summary.msByKind[e.kind] ?? 0) + e.durationMs;
  }
  return summary;
}
