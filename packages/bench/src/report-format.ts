/** What every part of BENCHMARKS.md shares: the targets, number formats, tables, the run stamp. */

export interface Stamp {
  ranAt: string;
  loadAvgAtStart: number[];
  command: string;
}

/** Thresholds of issue 6 (goals, not tests). */
export const TARGETS = {
  endToEndVsPostfix: 1.5,
  acceptVsPostfix: 2,
  p99AcceptMs: 20,
  memoryPerMessageBytes: 6 * 1024,
  /**
   * "≈ 0": below 1 % of a core and 10 Redis commands per second for the whole process while nothing
   * can be delivered, whatever the number of waiting queues (what is left is BullMQ's fixed housekeeping).
   */
  idleCpuPct: 1,
  idleCommandsPerSec: 10,
  /** "The rest must drain at full speed": with the blocked queues, at least this share of the control's drain rate. */
  drainVsUnblocked: 0.9,
} as const;

export const n0 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : Math.round(x).toLocaleString('en-US'));
export const n1 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(1));
export const n2 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2));
export const n3 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(3));
export const x2 = (x: number | undefined) => (x === undefined ? '–' : `${x.toFixed(2)}×`);
export const kb = (bytes: number | undefined) => (bytes === undefined || !Number.isFinite(bytes) ? '–' : `${(bytes / 1024).toFixed(2)} KB`);
export const holds = (ok: boolean | undefined) => (ok === undefined ? '–' : ok ? 'yes' : '**no**');

export function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function stampLine(s: Stamp): string {
  return `_Run ${s.ranAt.slice(0, 16).replace('T', ' ')} UTC, load average at start ${s.loadAvgAtStart.join(' / ')}, \`${s.command}\`._`;
}
