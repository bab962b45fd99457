/** What every scenario shares: addresses, temp dirs, progress lines, waiting. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { atExit } from '../children.js';
import type { Tools } from '../tools.js';

/** Loopback only: the load generators and sinks never leave 127.0.0.0/8. */
export const ADDR = { postfix: '127.0.0.3', sink: '127.0.0.4', listener: '127.0.0.5', haraka: '127.0.0.6', client: '127.0.0.1' } as const;

export const FROM = 'from@bench.test';
export const TO = 'to@sink.bench.test';

export interface Context {
  tools: Tools;
  /** packages/cli/dist/main.js */
  cli: string;
  log: (line: string) => void;
}

export function tempDir(name: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `vmta-bench-${name}-`));
  // BENCH_KEEP=1 keeps the run directories (configs, process logs, profiles) for a look afterwards.
  const remove = () => (process.env.BENCH_KEEP ? undefined : rmSync(dir, { recursive: true, force: true }));
  const cancel = atExit(remove);
  return {
    dir,
    remove() {
      cancel();
      remove();
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Generous time limit for a run that should take `expectedMs`. */
export function deadline(messages: number, perSecondFloor = 50): number {
  return 60_000 + (messages / perSecondFloor) * 1000;
}

/** Runs `fn` for each item with at most `limit` in flight. */
export async function pool<T>(items: Iterable<T>, limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const it = items[Symbol.iterator]();
  const workers = Array.from({ length: limit }, async () => {
    for (let n = it.next(); !n.done; n = it.next()) await fn(n.value);
  });
  await Promise.all(workers);
}
