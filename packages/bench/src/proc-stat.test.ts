import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { allProcesses, parseProcStat, parseSchedstat, readProcStat, readRuntime, treeCpu, treeDelta, type ProcStat } from './proc-stat.js';

const p = (pid: number, ppid: number, comm: string, cpu: number, childrenCpu = 0): ProcStat => ({ pid, ppid, comm, cpu, childrenCpu, nice: 0 });
/** No exact run times: the tick figures alone. */
const ticksOnly = () => undefined;

describe('/proc/<pid>/stat', () => {
  it('reads utime+stime, cutime+cstime and the nice value, whatever the command name holds', () => {
    const line = '4242 (smtp) d) S 4000 4242 4242 0 -1 4194560 100 0 0 0 250 50 30 20 39 19 1 0 100 1000 10 0 0 0 0 0 0';
    expect(parseProcStat(line, 100)).toEqual({ pid: 4242, comm: 'smtp) d', ppid: 4000, cpu: 3, childrenCpu: 0.5, nice: 19 });
  });

  it('reads this process', () => {
    const me = readProcStat(process.pid);
    expect(me?.pid).toBe(process.pid);
    expect(me?.ppid).toBe(process.ppid);
    expect(me?.cpu).toBeGreaterThan(0);
    expect(me?.nice).toBe(os.getPriority());
  });

  it('sums a tree and moves an exited child into the reaped time', () => {
    const before = treeCpu(10, [p(10, 1, 'master', 1), p(11, 10, 'smtpd', 2), p(12, 10, 'cleanup', 3), p(20, 1, 'other', 50)], ticksOnly);
    expect(before).toEqual({ total: 6, reaped: 0, byName: { master: 1, smtpd: 2, cleanup: 3 } });
    // smtpd exits after using 1 s more; master reaps it.
    const after = treeCpu(10, [p(10, 1, 'master', 1.5, 3), p(12, 10, 'cleanup', 4)], ticksOnly);
    expect(treeDelta(before, after)).toEqual({ total: 2.5, reaped: 3, byName: { master: 0.5, smtpd: -2, cleanup: 1 } });
    expect(treeCpu(99, [])).toEqual({ total: 0, reaped: 0, byName: {} });
  });

  it('reads a schedstat line as seconds', () => {
    expect(parseSchedstat('521498805 871880844 933\n')).toBeCloseTo(0.521498805, 9);
    expect(() => parseSchedstat('')).toThrow();
  });

  it('counts live processes by their exact run time, not by whole ticks, and reaped ones as the parent reports them', () => {
    // Ticks say 0.01 s for each smtpd; the scheduler says 0.0149 s. The master's reaped 0.3 s stays as it is.
    const procs = [p(10, 1, 'master', 0.02, 0.3), p(11, 10, 'smtpd', 0.01), p(12, 10, 'smtpd', 0.01)];
    const exact: Record<number, number> = { 10: 0.0251, 11: 0.0149, 12: 0.0149 };
    const t = treeCpu(10, procs, (pid) => exact[pid]);
    expect(t.total).toBeCloseTo(0.0251 + 0.0149 * 2 + 0.3, 9);
    expect(t.byName.smtpd).toBeCloseTo(0.0298, 9);
    // A process whose threads exited has more in stat than in its live threads' run time: stat wins.
    expect(treeCpu(10, [p(10, 1, 'node', 2)], () => 1.5).total).toBe(2);
  });

  it('agrees with the kernel to the millisecond on a real tree of short-lived workers (ticks alone lose up to 20 ms a process)', async () => {
    // Four children burn a few ms of CPU each (less than a tick), then sleep.
    const script = 'for k in 1 2 3 4; do ( i=0; while [ $i -lt 4000 ]; do i=$((i+1)); done; exec sleep 30 ) & done; wait';
    const sh = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
    const root = sh.pid!;
    try {
      const kids = () => allProcesses().filter((x) => x.ppid === root && x.comm === 'sleep');
      while (kids().length < 4) await new Promise((r) => setTimeout(r, 20));
      // The kernel's own figure, read independently: every thread's run time of the root and its children.
      const runtimeOf = (pid: number) => readdirSync(`/proc/${pid}/task`).reduce((s, tid) => s + Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e9, 0);
      const expected = [root, ...kids().map((k) => k.pid)].reduce((s, pid) => s + runtimeOf(pid), 0) + (readProcStat(root)?.childrenCpu ?? 0);
      expect(expected).toBeGreaterThan(0.005);
      expect(Math.abs(treeCpu(root).total - expected)).toBeLessThan(0.001);
      expect(readRuntime(root)).toBeCloseTo(runtimeOf(root), 3);
    } finally {
      process.kill(-root, 'SIGKILL');
    }
    expect(readRuntime(2 ** 30)).toBeUndefined();
  });
});
