/**
 * Test helpers of the redis-server package, exported as `@vmta/redis-server/testing` (tests only;
 * the layering check refuses them in production code).
 */
import { readFileSync } from 'node:fs';

/** Alive and not a zombie (an orphan may linger as one until init reaps it). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    /* no /proc entry (or no /proc): fall back to signal 0 */
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
