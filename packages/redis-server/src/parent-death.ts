/**
 * Children that must die with this process: an 'exit' handler SIGKILLs the live servers on a
 * normal exit, and a watchdog per server SIGKILLs it when this process dies any other way.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

export function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

/**
 * Watchdog: `sh` reads one line from a pipe only we hold the write end of
 * (libuv opens it close-on-exec, so no other child inherits it). If this
 * process dies, read() sees EOF and the server is SIGKILLed; writing "ok"
 * disarms it once the server has exited normally.
 */
const WATCHDOG_SCRIPT = 'read -r line; [ "$line" = ok ] || kill -9 "$1" 2>/dev/null; exit 0';

export interface Watchdog {
  disarm(): void;
}

export function startWatchdog(pid: number): Watchdog {
  const wd = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'vmta-redis-watchdog', String(pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  wd.on('error', () => {
    /* no /bin/sh: the exit hook is all we have */
  });
  wd.stdin?.on('error', () => {
    /* EPIPE if the watchdog is already gone */
  });
  wd.unref();
  (wd.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  let disarmed = false;
  return {
    disarm() {
      if (disarmed) return;
      disarmed = true;
      try {
        wd.stdin?.end('ok\n');
      } catch {
        /* ignore */
      }
    },
  };
}
