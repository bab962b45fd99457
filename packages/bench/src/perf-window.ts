/**
 * A `perf record` of our processes over the measured window only (issue 13: warm profiles).
 * Bench only, off unless BENCH_PERF_WINDOW names a directory: our roles then start with
 * `--perf-basic-prof` (JS symbols in /tmp/perf-<pid>.map), and each measured vmta run gets
 * `<dir>/<load>-<run>-<role>.data`, recorded from the window's open to the last message at the sink.
 * BENCH_PERF_ROLES (default "delivery") picks the roles; BENCH_PERF_FREQ the frequency (999).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { track } from './children.js';

export function perfWindowDir(): string | undefined {
  return process.env.BENCH_PERF_WINDOW || undefined;
}

/** Node flags our roles need for perf to name JS frames. */
export function perfNodeFlags(): string[] {
  return perfWindowDir() ? ['--perf-basic-prof'] : [];
}

export interface PerfRecording {
  stop(): Promise<void>;
}

/** Starts one `perf record` per role's pid; stop() ends them (SIGINT, so perf writes its file). */
export function startPerfWindow(name: string, pids: Record<string, number>): PerfRecording | undefined {
  const dir = perfWindowDir();
  if (!dir) return undefined;
  mkdirSync(dir, { recursive: true });
  const roles = (process.env.BENCH_PERF_ROLES ?? 'delivery').split(',').filter((r) => pids[r] !== undefined);
  const freq = process.env.BENCH_PERF_FREQ ?? '999';
  const children: ChildProcess[] = roles.map((role) =>
    track(spawn('perf', ['record', '-g', '-F', freq, '-p', String(pids[role]), '-o', path.join(dir, `${name}-${role}.data`)], { stdio: ['ignore', 'ignore', 'inherit'] })),
  );
  return {
    async stop() {
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGINT');
            }),
        ),
      );
    },
  };
}
