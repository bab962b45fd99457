/**
 * Nothing the bench starts may outlive it, even when it crashes or is
 * interrupted: every child is SIGKILLed and every registered synchronous
 * cleanup (e.g. `postfix abort`) runs on exit.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
const cleanups = new Set<() => void>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const fn of cleanups) {
      try {
        fn();
      } catch {
        /* best effort */
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`pnpm bench: ${signal}, stopping everything it started\n`);
      process.exit(130);
    });
  }
}

export function track(child: ChildProcess): ChildProcess {
  install();
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Runs `fn` on exit unless the returned function is called first. */
export function atExit(fn: () => void): () => void {
  install();
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}
