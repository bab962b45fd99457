/**
 * `vmta start --listener-processes N` (or VMTA_LISTENER_PROCESSES): how many processes serve SMTP, and how
 * the primary starts each child (listener-child.ts, @vmta/listener's cluster/).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The number of listener processes: a whole number from 1 to 64, or `auto` (the machine's cores); undefined
 * when the value is neither. 1 is the single process of old, with no primary in front.
 */
export function parseListenerProcesses(value: string, cores: number): number | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'auto') return Math.max(1, Math.min(64, cores));
  if (!/^\d+$/.test(v)) return undefined;
  const n = Number(v);
  return n >= 1 && n <= 64 ? n : undefined;
}

/** What a child needs to start (passed in VMTA_LISTENER_CHILD as JSON). */
export interface ListenerChildSpec {
  /** The configuration file (absolute): a reload makes the child read it again. */
  file: string;
  redisUrl: string;
  prefix?: string;
  slot: number;
  /** Slot 0 serves the HTTP injection API (http-inject-port), the others do not bind it. */
  inject: boolean;
}

export const CHILD_SPEC_ENV = 'VMTA_LISTENER_CHILD';

export function forkListenerChild(spec: ListenerChildSpec): ChildProcess {
  const entry = fileURLToPath(new URL('./listener-child.js', import.meta.url));
  // stdout and stderr are the primary's (one log); the IPC channel carries the sockets.
  return fork(entry, [], { env: { ...process.env, [CHILD_SPEC_ENV]: JSON.stringify(spec) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}
