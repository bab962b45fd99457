/**
 * CPU priority of a `vmta start` process. A delivery process lowers its own priority (nice 19
 * by default) so that on a host it shares with listeners and Redis, accepting mail (what a
 * sender waits for) gets the CPU first and delivery works through the queue with what is left;
 * on a host of its own it makes no difference.
 *
 * On Linux a nice value belongs to a thread, and os.setPriority(n) only changes the calling
 * thread: the threads Node started before (V8's GC workers, libuv's pool) would keep theirs.
 * So every thread listed in /proc/self/task is set; elsewhere only the process (main thread).
 */
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

export const NICE_MAX = 19;

export function parseNice(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n <= NICE_MAX ? n : undefined;
}

/**
 * Sets the nice value of this process's threads; returns how many were set. Never raises a
 * priority: a process already started nicer (e.g. under `nice -n 15`) is left as it is.
 */
export function lowerPriority(nice: number): number {
  if (getPriority() >= nice) return 0;
  let tids: number[] = [];
  try {
    tids = readdirSync('/proc/self/task').map(Number).filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    /* not Linux */
  }
  if (tids.length === 0) {
    try {
      setPriority(nice);
      return 1;
    } catch {
      return 0;
    }
  }
  let set = 0;
  for (const tid of tids) {
    try {
      setPriority(tid, nice);
      set++;
    } catch {
      /* a thread that ended meanwhile */
    }
  }
  return set;
}
