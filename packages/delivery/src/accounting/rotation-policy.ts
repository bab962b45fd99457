/**
 * Rotation of accounting files, pure: when a file moves, the name it moves to,
 * which files are rotated copies of it, and `delete-after`.
 */
import path from 'node:path';
import { parseTimeInterval, type SizeValue } from '@vmta/config';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `yyyy-mm-dd-hhmmss` in UTC (the same on every host, whatever its time zone). */
export function rotationStamp(at: Date): string {
  return (
    `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}-` +
    `${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}`
  );
}

/** `/log/acct.csv` → `/log/acct-2024-05-01-130000.csv` (`-1`, `-2`, ... when `attempt` > 0). */
export function rotatedPath(file: string, at: Date, attempt = 0): string {
  const base = file.replace(/\.csv$/i, '');
  return `${base}-${rotationStamp(at)}${attempt > 0 ? `-${attempt}` : ''}.csv`;
}

/** Whether `name` (a file name in the same directory) is a rotated copy of `file`. */
export function isRotatedName(file: string, name: string): boolean {
  const base = path.basename(file).replace(/\.csv$/i, '');
  if (!name.startsWith(`${base}-`)) return false;
  return /^\d{4}-\d{2}-\d{2}-\d{6}(-\d+)?\.csv$/.test(name.slice(base.length + 1));
}

/** `delete-after`: a time interval in ms, or undefined for `never` / not set. Throws on anything else. */
export function deleteAfterMs(text: string | null | undefined): number | undefined {
  if (text === undefined || text === null) return undefined;
  const t = text.trim();
  if (t === '' || t.toLowerCase() === 'never') return undefined;
  return parseTimeInterval(t);
}

export interface RotationLimits {
  moveIntervalMs?: number | null;
  maxSize?: SizeValue | null;
}

/** The file must move before `addBytes` more are written to it (never when it is empty). */
export function mustMoveForSize(size: number, addBytes: number, limits: RotationLimits): boolean {
  const max = limits.maxSize;
  return size > 0 && typeof max === 'number' && size + addBytes > max;
}

/** The file has been open for `move-interval` (never when it is empty). */
export function mustMoveForAge(size: number, openedAtMs: number, nowMs: number, limits: RotationLimits): boolean {
  const every = limits.moveIntervalMs;
  return size > 0 && typeof every === 'number' && every > 0 && nowMs - openedAtMs >= every;
}
