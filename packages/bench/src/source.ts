/** smtp-source: the load generator of every run (same flags for all of them). */
import { spawn } from 'node:child_process';
import { track } from './children.js';

export interface SourceLoad {
  messages: number;
  sessions: number;
  size: number;
  from: string;
  to: string;
  /** false: a new connection for every message (smtp-source without -d); default true. */
  reuse?: boolean;
}

export interface SourceResult {
  /** Wall time from spawn to exit (ms). */
  ms: number;
  exitCode: number | null;
  stderr: string;
  args: string[];
  /** Our load client's samples (ms): final dot → 250 per message, connect → 220 per connection. */
  dotTo250?: number[];
  connectTo220?: number[];
}

/** -d: one connection per session for all its messages (what a feeding application does); without it one per message. */
export function sourceArgs(load: SourceLoad, host: string, port: number): string[] {
  return [...(load.reuse === false ? [] : ['-d']), '-s', String(load.sessions), '-m', String(load.messages), '-l', String(load.size), '-M', 'client.bench.test', '-f', load.from, '-t', load.to, `${host}:${port}`];
}

export function runSource(bin: string, load: SourceLoad, host: string, port: number): Promise<SourceResult> {
  const args = sourceArgs(load, host, port);
  const started = performance.now();
  const child = track(spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve({ ms: performance.now() - started, exitCode: code, stderr, args }));
  });
}
