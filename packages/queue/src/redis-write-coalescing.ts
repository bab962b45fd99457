/**
 * Redis commands issued in one turn of the event loop leave in one write. ioredis writes every
 * command to its socket at once: a listener serving many sessions sends one EVALSHA per message and
 * one per RCPT, each its own write(2) on loopback, which also runs Redis' side of the TCP stack and
 * wakes it (bench profile, one connection per message: the listener's Redis writes ≈ 9 % of its CPU).
 * Here the first write of a turn corks the socket and a setImmediate uncorks it after the poll phase,
 * so the commands of every session served in that turn go out in one writev(2), and Redis reads and
 * answers them in one pass. The order of the commands is kept (one socket, one buffer). A command
 * waits at most until the end of the current turn of the loop: nothing waits on a timer.
 */
import type { Writable } from 'node:stream';
import type { Redis } from 'ioredis';

const coalescing = new WeakSet<Writable>();

function coalesce(stream: Writable): void {
  if (coalescing.has(stream)) return;
  coalescing.add(stream);
  const write = stream.write;
  let corked = false;
  const flush = () => {
    corked = false;
    stream.uncork();
  };
  stream.write = function (this: Writable, ...args: Parameters<Writable['write']>) {
    if (!corked && !stream.destroyed) {
      corked = true;
      stream.cork();
      setImmediate(flush);
    }
    return write.apply(this, args);
  } as Writable['write'];
}

/** Coalesces the writes of `redis`'s socket, and of the socket of every reconnect. */
export function coalesceWrites(redis: Redis): void {
  const current = () => {
    const stream = (redis as unknown as { stream?: Writable }).stream;
    if (stream) coalesce(stream);
  };
  redis.on('connect', current);
  current();
}
