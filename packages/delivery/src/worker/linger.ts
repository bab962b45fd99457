/**
 * connection-idle-timeout across batches: when a token's queue runs dry while
 * it holds an open session, the token keeps the session (and its place in
 * max-smtp-out) for up to the idle timeout and takes mail that arrives
 * meanwhile on the same connection, as PowerMTA does.
 *
 * The token stays the only holder of its slot, so max-smtp-out stays exact
 * across processes. Waiting is a short sleep between ZRANGE probes, bounded by
 * the idle timeout (default 0: no lingering at all); a queue without an open
 * session never lingers.
 */
import type { QueueOps } from '@vmta/queue';

/** How often a lingering token looks for new mail. */
export const LINGER_PROBE_MS = 250;

export interface LingerInput {
  ops: Pick<QueueOps, 'nextDue'>;
  queue: string;
  /** connection-idle-timeout of the queue (ms). */
  idleMs: number;
  now: () => number;
  /** False once no session is usable any more (the remote closed it). */
  hasSession: () => boolean;
  stopping: () => boolean;
  /** How often to look (default LINGER_PROBE_MS). */
  probeMs?: number;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits for mail to become due while a session is open; true when some is due now. */
export async function lingerForMail(input: LingerInput): Promise<boolean> {
  const sleep = input.sleep ?? realSleep;
  const end = input.now() + input.idleMs;
  for (;;) {
    const now = input.now();
    if (now >= end || input.stopping() || !input.hasSession()) return false;
    const next = await input.ops.nextDue(input.queue);
    if (next !== undefined && next <= now) return true;
    const untilNext = next === undefined ? Infinity : next - now;
    await sleep(Math.max(1, Math.min(input.probeMs ?? LINGER_PROBE_MS, end - now, untilNext)));
  }
}
