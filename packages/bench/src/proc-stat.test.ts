import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseProcStat, readProcStat, treeCpu, treeDelta, type ProcStat } from './proc-stat.js';

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
    const p = (pid: number, ppid: number, comm: string, cpu: number, childrenCpu = 0): ProcStat => ({ pid, ppid, comm, cpu, childrenCpu, nice: 0 });
    const before = treeCpu(10, [p(10, 1, 'master', 1), p(11, 10, 'smtpd', 2), p(12, 10, 'cleanup', 3), p(20, 1, 'other', 50)]);
    expect(before).toEqual({ total: 6, reaped: 0, byName: { master: 1, smtpd: 2, cleanup: 3 } });
    // smtpd exits after using 1 s more; master reaps it.
    const after = treeCpu(10, [p(10, 1, 'master', 1.5, 3), p(12, 10, 'cleanup', 4)]);
    expect(treeDelta(before, after)).toEqual({ total: 2.5, reaped: 3, byName: { master: 0.5, smtpd: -2, cleanup: 1 } });
    expect(treeCpu(99, [])).toEqual({ total: 0, reaped: 0, byName: {} });
  });
});
