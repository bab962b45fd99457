/**
 * A V8 CPU profile of our processes over the measured window only (issue 13: warm profiles with
 * JavaScript names, where `perf` maps them unreliably). Bench only, off unless BENCH_CPUPROF_WINDOW
 * names a directory: our roles then start with `--import cpuprof-preload.js`, and each measured vmta run
 * of the senders scenario gets `<dir>/<load>-<run>-<role>.cpuprofile`, recorded from the window's open
 * to the last message at the sink (after the warm-up). BENCH_CPUPROF_ROLES (default "listener") picks
 * the roles, BENCH_CPUPROF_INTERVAL_US the sampling interval (500 µs).
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PerfRecording } from './perf-window.js';

export function cpuProfileWindowDir(): string | undefined {
  return process.env.BENCH_CPUPROF_WINDOW || undefined;
}

/** Node flags our roles need for the window: the preload that answers SIGUSR2. */
export function cpuProfileNodeFlags(): string[] {
  return cpuProfileWindowDir() ? ['--import', fileURLToPath(new URL('./cpuprof-preload.js', import.meta.url))] : [];
}

/** Windows opened per pid so far: the preload numbers its files the same way. */
const windowsOf = new Map<number, number>();

/** The roles to profile among `pids` (BENCH_CPUPROF_ROLES, default listener). */
export function cpuProfileRoles(pids: Record<string, number>, roles = process.env.BENCH_CPUPROF_ROLES ?? 'listener'): string[] {
  return roles.split(',').filter((r) => pids[r] !== undefined);
}

/** Starts a profile in each role's process (SIGUSR2); stop() ends them and names the files after the run and role. */
export function startCpuProfileWindow(name: string, pids: Record<string, number>, dir = cpuProfileWindowDir(), waitMs = 30_000): PerfRecording | undefined {
  if (!dir) return undefined;
  mkdirSync(dir, { recursive: true });
  const roles = cpuProfileRoles(pids);
  for (const role of roles) process.kill(pids[role]!, 'SIGUSR2');
  return {
    async stop() {
      await Promise.all(
        roles.map(async (role) => {
          const pid = pids[role]!;
          const n = (windowsOf.get(pid) ?? 0) + 1;
          windowsOf.set(pid, n);
          process.kill(pid, 'SIGUSR2');
          const file = path.join(dir, `pid-${pid}-${n}.cpuprofile`);
          const deadline = Date.now() + waitMs;
          while (!existsSync(file)) {
            if (Date.now() > deadline) throw new Error(`no CPU profile from ${role} (pid ${pid}) after ${waitMs} ms`);
            await new Promise((r) => setTimeout(r, 50));
          }
          renameSync(file, path.join(dir, `${name}-${role}.cpuprofile`));
        }),
      );
    },
  };
}
