/**
 * CPU time of processes from /proc/<pid>/stat (Linux only). utime and stime are
 * fields 14 and 15, cutime/cstime (children already reaped) 16 and 17, in clock
 * ticks, the nice value field 19; the comm field is in parentheses and may itself contain spaces or ')'.
 *
 * The kernel keeps CPU time in nanoseconds and truncates each of utime and stime to a whole tick
 * (10 ms) when it prints them: a live process reads up to 20 ms low, 10 ms on average. Once it has
 * exited and been reaped, its time is added to the parent's cutime/cstime in nanoseconds and the sum
 * is truncated once. So a tree meter over ticks reads every live process low: a run that starts
 * with few processes (a fresh Postfix) and ends with many (its smtpd, cleanup and smtp pools)
 * loses about 10 ms per process it ends with; one that starts with a pool left by a warm-up gets
 * those processes' truncation back when they exit. Live processes are therefore read from the
 * scheduler's run time (/proc/<pid>/task/<tid>/schedstat, nanoseconds, per thread).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** Own CPU seconds (user + system). */
  cpu: number;
  /** CPU seconds of children this process has waited for. */
  childrenCpu: number;
  /** Nice value (field 19) of the main thread. */
  nice: number;
}

let ticks: number | undefined;
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** Parses one /proc/<pid>/stat line. */
export function parseProcStat(line: string, hz = clockTicks()): ProcStat {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc stat line: ${line.slice(0, 80)}`);
  const pid = Number(line.slice(0, open).trim());
  const comm = line.slice(open + 1, close);
  // Fields after ')' start at field 3 (state).
  const rest = line.slice(close + 2).trim().split(/\s+/);
  const field = (n: number) => Number(rest[n - 3]);
  return { pid, comm, ppid: field(4), cpu: (field(14) + field(15)) / hz, childrenCpu: (field(16) + field(17)) / hz, nice: field(19) };
}

export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The first field of /proc/<pid>/task/<tid>/schedstat: the thread's run time so far, ns → s. */
export function parseSchedstat(line: string): number {
  const first = line.trim().split(/\s+/)[0] ?? '';
  if (!/^\d+$/.test(first)) throw new Error(`not a schedstat line: ${line.slice(0, 80)}`);
  return Number(first) / 1e9;
}

/**
 * Exact CPU seconds of a live process: the run time of each of its live threads. Threads that have
 * exited are not in it (stat's utime/stime keep them, in ticks): the larger of the two is taken.
 * Undefined when the process is gone.
 */
export function readRuntime(pid: number): number | undefined {
  try {
    let s = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) s += parseSchedstat(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8'));
    return s;
  } catch {
    return undefined;
  }
}

/** CPU seconds of the process's main thread alone (its JavaScript event loop), from its schedstat. */
export function readMainThreadRuntime(pid: number): number | undefined {
  try {
    return parseSchedstat(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every live process, by pid. */
export function allProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readProcStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

export interface TreeCpu {
  /** All CPU seconds of the tree: the root, its reaped children, its live descendants. */
  total: number;
  /** Live processes by command name (smtpd, cleanup, qmgr...), own CPU only. */
  byName: Record<string, number>;
  /** CPU of descendants that exited and were reaped by their parent. */
  reaped: number;
}

/**
 * CPU of a process tree at one instant. Children that exit between two readings
 * move from "live" to the parent's reaped counter, so the difference of two
 * readings is the CPU spent in between. A live process counts its exact run time
 * (`runtime`, readRuntime) when that is at least its stat figure in ticks.
 */
export function treeCpu(rootPid: number, procs: ProcStat[] = allProcesses(), runtime: (pid: number) => number | undefined = readRuntime): TreeCpu {
  const byParent = new Map<number, ProcStat[]>();
  for (const p of procs) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const root = procs.find((p) => p.pid === rootPid);
  const out: TreeCpu = { total: 0, byName: {}, reaped: 0 };
  if (!root) return out;
  const stack = [root];
  while (stack.length > 0) {
    const p = stack.pop()!;
    const own = Math.max(p.cpu, runtime(p.pid) ?? 0);
    out.total += own + p.childrenCpu;
    out.reaped += p.childrenCpu;
    out.byName[p.comm] = (out.byName[p.comm] ?? 0) + own;
    stack.push(...(byParent.get(p.pid) ?? []));
  }
  return out;
}

/** later - earlier, per name and in total. */
export function treeDelta(earlier: TreeCpu, later: TreeCpu): TreeCpu {
  const byName: Record<string, number> = {};
  for (const name of new Set([...Object.keys(earlier.byName), ...Object.keys(later.byName)])) {
    byName[name] = (later.byName[name] ?? 0) - (earlier.byName[name] ?? 0);
  }
  return { total: later.total - earlier.total, byName, reaped: later.reaped - earlier.reaped };
}
