/**
 * A child of a multi-process listener (primary.ts): runs the usual listener (startListener with `adopt`)
 * on the connections the primary hands it, and tells the primary when each one closes. It drains and
 * exits (exit code 0, after the last message it took is in Redis) when the primary asks, on SIGTERM or
 * SIGINT, and when the primary is gone (its IPC channel closed: no orphan outlives a kill -9 of the primary).
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { RunningListener } from '../listener.js';
import type { ChildMessage, PrimaryMessage } from './messages.js';

export interface ListenerChildOptions {
  /** Starts the listener (startListener with `adopt: true`). */
  start: () => Promise<RunningListener>;
  /** Reads the configuration file again and applies it; false when it was refused. */
  reload: (listener: RunningListener) => Promise<boolean>;
  log: Logger;
  /** Called once the listener closed, before the process exits (e.g. to flush the log). */
  exit: (code: number) => void;
}

export async function runListenerChild(o: ListenerChildOptions): Promise<void> {
  const log = o.log.child({ component: 'listener-child' });
  const tell = (m: ChildMessage) => {
    // The callback swallows a channel that closed meanwhile (the primary is gone: the drain is under way).
    if (process.connected) process.send!(m, undefined, {}, () => undefined);
  };
  let listener: RunningListener | undefined;
  let stopping = false;
  const early: Array<{ m: PrimaryMessage; socket?: Socket }> = [];

  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ event: 'listener-child-stopping', why }, 'listener child draining');
    if (!listener) return; // started() stops it as soon as it is up
    void listener.close().then(
      () => o.exit(0),
      (err: unknown) => {
        log.error({ event: 'listener-child-close-failed', err: (err as Error).message }, 'listener child did not close cleanly');
        o.exit(1);
      },
    );
  };

  const onMessage = (m: PrimaryMessage, socket?: Socket) => {
    if (!listener) {
      early.push({ m, socket });
      return;
    }
    if (m.t === 'conn') {
      if (!socket) return;
      const closed = () => tell({ t: 'closed', id: m.id });
      if (!listener.adopt(m.identity, socket, { total: m.total, fromClient: m.fromClient }, closed)) {
        closed();
        log.warn({ event: 'listener-child-unknown-listener', identity: m.identity }, 'a connection for a listener this child does not have: closed');
        socket.destroy();
      }
    } else if (m.t === 'reload') {
      void o.reload(listener).then(
        (ok) => tell({ t: 'reloaded', seq: m.seq, ok }),
        () => tell({ t: 'reloaded', seq: m.seq, ok: false }),
      );
    } else if (m.t === 'shutdown') stop('primary');
  };

  process.on('message', (m: PrimaryMessage, socket?: Socket) => onMessage(m, socket));
  process.once('disconnect', () => stop('primary gone'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  // A reload reaches the children through the primary only; SIGHUP (a closing terminal) must not kill them.
  process.on('SIGHUP', () => undefined);

  listener = await o.start();
  const stopAsked = stopping;
  stopping = false;
  for (const e of early.splice(0)) onMessage(e.m, e.socket);
  if (stopAsked) stop('asked while starting');
  if (!stopping) tell({ t: 'ready' });
}
