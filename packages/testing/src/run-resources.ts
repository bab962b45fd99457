/**
 * What one test process owns for its run: scratch directories (removed with the run, and those
 * of earlier runs whose process is gone) and the redis-servers it started (killed with it).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer, type RedisServerHandle } from '@vmta/redis-server';

// ---------------------------------------------------------------------------
// Scratch directories: <tmpdir>/vmta-test-<pid>-<runId>-XXXXXX

const TMP_DIR_RE = /^vmta-test-(\d+)-[0-9a-f]+-/;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A fresh scratch dir for a run. Also removes the dirs of earlier runs whose
 * process is gone (a run killed before its teardown could not remove its own).
 */
export function makeRunTmpDir(runId: string): string {
  const base = tmpdir();
  try {
    for (const name of readdirSync(base)) {
      const m = TMP_DIR_RE.exec(name);
      if (m && !pidAlive(Number(m[1]))) rmSync(join(base, name), { recursive: true, force: true });
    }
  } catch {
    /* best effort */
  }
  return mkdtempSync(join(base, `vmta-test-${process.pid}-${runId}-`));
}

// ---------------------------------------------------------------------------
// Servers started by this process

const ownServers = new Set<RedisServerHandle>();
let disconnectHookInstalled = false;

/**
 * Start a redis-server that dies with this process. startRedisServer() already
 * ties it to this process (watchdog); in a vitest fork worker we also tie it to
 * vitest itself: if the main vitest process dies (SIGKILL), its workers are
 * orphaned and keep running, so on the IPC 'disconnect' we kill our servers
 * and leave. (Vitest ends its workers with signals, never by disconnecting.)
 */
export async function launchRedisServer(opts: Parameters<typeof startRedisServer>[0]): Promise<RedisServerHandle> {
  const server = await startRedisServer(opts);
  ownServers.add(server);
  void server.exited.then(() => ownServers.delete(server));
  if (!disconnectHookInstalled && process.env['VITEST_POOL_ID'] && typeof process.send === 'function') {
    disconnectHookInstalled = true;
    process.once('disconnect', () => {
      // vitest replaces process.exit() in workers, hence the signal.
      void Promise.allSettled([...ownServers].map((s) => s.kill())).finally(() => process.kill(process.pid, 'SIGKILL'));
    });
  }
  return server;
}
