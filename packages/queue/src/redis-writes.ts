/**
 * One socket write per event-loop turn on a Redis connection (issue 13). ioredis writes each command
 * to its socket on its own, one system call each. In a delivery process the replies of many runs come
 * back in one read, their continuations all run in the same turn and each sends its next command: the
 * socket is corked at the turn's first write and uncorked at `process.nextTick`, so those commands
 * leave in one `writev`. The order of commands on the connection does not change, nor what is sent;
 * a command waits at most until the end of the current turn's microtasks.
 *
 * Unlike ioredis' `enableAutoPipelining` (tried on the listener and dropped: a Pipeline object per
 * turn cost more CPU than Redis saved), this adds a cork and an uncork per turn and nothing per command.
 *
 * `'iteration'` (the listener): uncorked at `setImmediate` instead, after every socket the event loop
 * found readable in this iteration was read. The listener's commands come from separate socket reads
 * (one SMTP session's RCPT, another's dot), each its own turn: the suppression look-ups and enqueues of
 * the sessions read in one iteration leave in one `writev`, and their replies mostly come back in one read.
 * A command waits at most until the end of the iteration's poll phase.
 */
import type { Redis } from 'ioredis';

const CORKED = Symbol('vmta.redis.corkPerTurn');

type Writable = Redis['stream'] & { [CORKED]?: true };

/** How long writes are held: to the end of the turn (`process.nextTick`) or of the event-loop iteration (`setImmediate`). */
export type CoalesceSpan = 'turn' | 'iteration';

const later: Record<CoalesceSpan, (fn: () => void) => void> = { turn: (fn) => process.nextTick(fn), iteration: (fn) => void setImmediate(fn) };

/** Corks `stream` at its first write of a turn and uncorks it at the turn's (or iteration's) end (once per stream). */
export function corkPerTurn(stream: Writable | undefined, span: CoalesceSpan = 'turn'): void {
  if (!stream || stream[CORKED]) return;
  stream[CORKED] = true;
  const flush = later[span];
  const write = stream.write;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    stream.uncork();
  };
  stream.write = function (this: Writable, ...args: Parameters<Writable['write']>): boolean {
    if (!corked && !stream.writableEnded && !stream.destroyed) {
      corked = true;
      stream.cork();
      flush(uncork);
    }
    return (write as (...a: unknown[]) => boolean).apply(stream, args);
  } as Writable['write'];
}

/**
 * Every socket `redis` connects (a reconnect's too), and those of its duplicates (BullMQ's
 * connections are duplicates of the one it is handed), write once per turn. Returns `redis`.
 */
export function coalesceWrites(redis: Redis, span: CoalesceSpan = 'turn'): Redis {
  redis.on('connect', () => corkPerTurn(redis.stream, span));
  corkPerTurn(redis.stream, span);
  const duplicate = redis.duplicate.bind(redis);
  redis.duplicate = ((override?: Parameters<Redis['duplicate']>[0]) => coalesceWrites(duplicate(override), span)) as Redis['duplicate'];
  return redis;
}
