/**
 * The primary of a multi-process listener (`vmta start --listener-processes N`, N > 1). It owns every
 * listening socket of the configuration (implicit-TLS ones too; pauseOnConnect, so it never reads a byte)
 * and hands each accepted connection to the child with the fewest connections (child.ts runs the usual
 * listener on it), with the listener's counts (connection-book.ts) so total-max-smtp-in and
 * max-smtp-in-per-ip hold over every child.
 * - A child that dies takes its sockets with it (the kernel closes them: the clients see the connection
 *   drop and send again, nothing that got 250 is lost); it is replaced at once (after 1 s if it lived less
 *   than 5 s); until a child is ready, connections wait here, unread.
 * - reload(): every child reloads the file first (so a listener the primary adds exists in the children
 *   before its first connection), then the primary binds and closes sockets as listener-set.ts plans.
 * - close(): children drain (new connections get 421 from them, a message in DATA gets its 250 once Redis
 *   has it) and exit; then the sockets close. A child whose primary dies (its IPC channel closes) does the same.
 */
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { ListenerConfig, VmtaConfig } from '@vmta/config';
import type { Logger } from 'pino';
import { authSubject } from '../auth-stage.js';
import type { BoundListener } from '../bound-server.js';
import { ListenerStartError } from '../errors.js';
import { listenerIdentity, planListeners, socketOf } from '../listener-set.js';
import { loadTlsCertificate } from '../tls-certificate.js';
import type { ListenerReloadResult } from '../listener.js';
import { ConnectionBook, pickChild } from './connection-book.js';
import type { ChildMessage, PrimaryMessage } from './messages.js';

export interface ListenerPrimaryOptions {
  config: VmtaConfig;
  /** Children to run (2 or more). */
  processes: number;
  /** Starts the child of `slot` (child_process.fork of the child entry: an IPC channel is needed). */
  fork: (slot: number) => ChildProcess;
  logger: Logger;
  /** How long close() waits for the children to drain and exit before it kills them; default 60 s. */
  closeBoundMs?: number;
  /** How long a child may take to start or to reload; default 60 s. */
  childBoundMs?: number;
}

/** What `vmta start` uses of a listener: the same for one process (RunningListener) and for a primary. */
export interface ListenerPrimary {
  readonly addresses: BoundListener[];
  reload(config: VmtaConfig): Promise<ListenerReloadResult>;
  close(): Promise<void>;
  /** Pids of the children alive now, by slot. */
  readonly childPids: number[];
}

interface Bound {
  identity: string;
  listener: ListenerConfig;
  server: net.Server;
  address: BoundListener;
}

interface Child {
  slot: number;
  proc: ChildProcess;
  ready: boolean;
  startedAt: number;
  exited: Promise<void>;
  /** Reloads asked of this child and not answered yet, by number. */
  reloads: Map<number, (ok: boolean) => void>;
  /**
   * This process's side of the sockets handed to the child, until the child says they closed. Node closes
   * it once the child acknowledged the handle; a child killed before that would leave the client waiting
   * for a greeting that never comes, so its exit destroys what is left here.
   */
  sockets: Map<number, net.Socket>;
}

const QUICK_DEATH_MS = 5_000;
const RESTART_DELAY_MS = 1_000;

export async function startListenerPrimary(o: ListenerPrimaryOptions): Promise<ListenerPrimary> {
  const log = o.logger.child({ component: 'listener-primary' });
  const closeBoundMs = o.closeBoundMs ?? 60_000;
  const childBoundMs = o.childBoundMs ?? 60_000;
  const book = new ConnectionBook();
  const children = new Map<number, Child>();
  const waiting: Array<{ bound: Bound; socket: net.Socket }> = [];
  let bound: Bound[] = [];
  let closing = false;
  let nextId = 0;
  let nextReload = 0;

  const send = (c: Child, m: PrimaryMessage, handle?: net.Socket, done?: (err: Error | null) => void) => {
    if (!c.proc.connected) return done?.(new Error('child not connected'));
    c.proc.send(m, handle, { keepOpen: false }, done ?? (() => undefined));
  };

  const handOff = (b: Bound, socket: net.Socket) => {
    const slot = pickChild([...children.values()], (s) => book.load(s));
    if (slot === undefined) {
      waiting.push({ bound: b, socket });
      return;
    }
    const c = children.get(slot)!;
    const id = ++nextId;
    const counts = book.admit(id, authSubject(socket.remoteAddress ?? ''), slot);
    c.sockets.set(id, socket);
    send(c, { t: 'conn', id, identity: b.identity, ...counts }, socket, (err) => {
      if (!err) return;
      // The child died (or the client left) before it got the socket.
      book.release(id);
      c.sockets.delete(id);
      socket.destroy();
    });
  };

  const flushWaiting = () => {
    while (waiting.length > 0 && [...children.values()].some((c) => c.ready)) {
      const w = waiting.shift()!;
      if (w.socket.destroyed) continue;
      handOff(w.bound, w.socket);
    }
  };

  const spawn = (slot: number): Child => {
    const proc = o.fork(slot);
    const c: Child = { slot, proc, ready: false, startedAt: Date.now(), exited: new Promise((r) => proc.once('exit', () => r())), reloads: new Map(), sockets: new Map() };
    children.set(slot, c);
    proc.on('message', (m: ChildMessage) => {
      if (m.t === 'closed') {
        book.release(m.id);
        c.sockets.delete(m.id);
      }
      else if (m.t === 'ready') {
        c.ready = true;
        log.info({ event: 'listener-child-ready', slot, childPid: proc.pid }, 'listener child ready');
        flushWaiting();
      } else if (m.t === 'reloaded') {
        c.reloads.get(m.seq)?.(m.ok);
        c.reloads.delete(m.seq);
      }
    });
    proc.on('error', (err) => log.warn({ event: 'listener-child-error', slot, err: err.message }, 'listener child error'));
    proc.once('exit', (code, signal) => {
      c.ready = false;
      const lost = book.dropSlot(slot);
      c.sockets.forEach((socket) => socket.destroy());
      closeUnacknowledgedHandle(proc);
      c.sockets.clear();
      c.reloads.forEach((r) => r(false));
      if (children.get(slot) === c) children.delete(slot);
      if (closing) return;
      const quick = Date.now() - c.startedAt < QUICK_DEATH_MS;
      log.error({ event: 'listener-child-died', slot, childPid: proc.pid, code, signal, connections: lost }, 'listener child died: its connections are lost, a new child takes its place');
      const restart = () => {
        if (!closing && !children.has(slot)) spawn(slot);
      };
      if (quick) setTimeout(restart, RESTART_DELAY_MS).unref();
      else restart();
    });
    return c;
  };

  const bind = (l: ListenerConfig): Promise<Bound> =>
    new Promise((resolve, reject) => {
      const server = net.createServer({ pauseOnConnect: true });
      const b: Bound = { identity: listenerIdentity(l), listener: l, server, address: { name: l.name, address: l.address.address, port: l.address.port, immediateTls: l.immediateTls } };
      server.on('connection', (socket: net.Socket) => {
        // A client that resets before a child has the socket must not crash the primary.
        socket.on('error', () => undefined);
        handOff(b, socket);
      });
      server.once('error', (err) => reject(new ListenerStartError(`cannot listen on ${l.address.address}:${l.address.port}: ${err.message}`, { cause: err })));
      server.listen(l.address.port, l.address.address, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => log.warn({ event: 'listen-error', listener: l.name, err: err.message }, 'listening socket error'));
        const a = server.address() as net.AddressInfo;
        b.address = { ...b.address, address: a.address, port: a.port };
        resolve(b);
      });
    });

  const startChildren = async () => {
    for (let slot = 0; slot < o.processes; slot++) spawn(slot);
    await Promise.all(
      [...children.values()].map(
        (c) =>
          new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new ListenerStartError(`listener child ${c.slot} did not start within ${childBoundMs} ms`)), childBoundMs);
            const onExit = (code: number | null) => {
              clearTimeout(timer);
              reject(new ListenerStartError(`listener child ${c.slot} exited (${code}) before it was ready`));
            };
            c.proc.once('exit', onExit);
            c.proc.on('message', (m: ChildMessage) => {
              if (m.t !== 'ready') return;
              clearTimeout(timer);
              c.proc.off('exit', onExit);
              resolve();
            });
          }),
      ),
    );
  };

  const killAll = async () => {
    closing = true;
    for (const c of children.values()) c.proc.kill('SIGKILL');
    await Promise.all([...children.values()].map((c) => c.exited));
  };

  try {
    for (const l of o.config.listeners) {
      const b = await bind(l);
      bound.push(b);
      log.info({ event: 'listening', listener: l.name, address: b.address.address, port: b.address.port, immediateTls: l.immediateTls, processes: o.processes }, 'listening');
    }
    await startChildren();
  } catch (err) {
    bound.forEach((b) => b.server.close());
    await killAll();
    throw err;
  }

  const reloadChild = (c: Child): Promise<boolean> => {
    const seq = ++nextReload;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        c.reloads.delete(seq);
        resolve(false);
      }, childBoundMs);
      c.reloads.set(seq, (ok) => {
        clearTimeout(timer);
        resolve(ok);
      });
      send(c, { t: 'reload', seq }, undefined, (err) => {
        if (err) c.reloads.get(seq)?.(false);
      });
    });
  };

  const applyReload = async (config: VmtaConfig): Promise<ListenerReloadResult> => {
    const result: ListenerReloadResult = { added: [], removed: [], unchanged: [], failed: [] };
    const acks = await Promise.all([...children.values()].map(async (c) => ({ slot: c.slot, ok: await reloadChild(c) })));
    for (const a of acks.filter((x) => !x.ok)) log.error({ event: 'listener-child-reload-failed', slot: a.slot }, 'a listener child did not take the new configuration');
    const plan = planListeners(bound, config.listeners);
    const next = new Map<ListenerConfig, Bound>();
    for (const { current, next: l } of plan.keep) {
      current.listener = l;
      next.set(l, current);
      result.unchanged.push(current.address);
    }
    // As in one process (listener.ts): a listener whose certificate cannot be loaded leaves the one it
    // replaces on the same socket running (the children do the same), rather than nothing.
    const add: ListenerConfig[] = [];
    const keepOld = new Set<string>();
    for (const l of plan.add) {
      try {
        if (l.tlsCertificate) loadTlsCertificate(l.tlsCertificate, process.cwd());
        else if (l.immediateTls) throw new ListenerStartError(`listener ${l.name} has immediate-tls but no TLS certificate`);
        add.push(l);
      } catch (err) {
        keepOld.add(socketOf(l));
        result.failed.push({ name: l.name, error: (err as Error).message });
        log.error({ event: 'listen-failed', listener: l.name, err: (err as Error).message }, 'cannot start a listener of the new configuration');
      }
    }
    const stay: Bound[] = [];
    for (const b of plan.remove) {
      if (keepOld.has(socketOf(b.listener))) {
        stay.push(b);
        continue;
      }
      b.server.close();
      result.removed.push(b.address);
      log.info({ event: 'listener-removed', ...b.address }, 'listener removed: no new connections, sessions in progress go on in the children');
    }
    for (const l of add) {
      try {
        const b = await bind(l);
        next.set(l, b);
        result.added.push(b.address);
        log.info({ event: 'listener-added', ...b.address }, 'listener added');
      } catch (err) {
        result.failed.push({ name: l.name, error: (err as Error).message });
        log.error({ event: 'listen-failed', listener: l.name, err: (err as Error).message }, 'cannot listen on a listener of the new configuration');
      }
    }
    bound = [...config.listeners.flatMap((l) => next.get(l) ?? []), ...stay];
    return result;
  };

  let queue: Promise<unknown> = Promise.resolve();
  let closed: Promise<void> | undefined;
  return {
    get addresses() {
      return bound.map((b) => b.address);
    },
    get childPids() {
      return [...children.values()].sort((a, b) => a.slot - b.slot).flatMap((c) => (c.proc.pid === undefined ? [] : [c.proc.pid]));
    },
    reload(config) {
      const run = queue.then(() => (closing ? { added: [], removed: [], unchanged: [], failed: [] } : applyReload(config)));
      queue = run.catch(() => undefined);
      return run;
    },
    close() {
      closed ??= (async () => {
        await queue;
        closing = true;
        log.info({ event: 'shutdown-started', children: children.size, connections: book.total }, 'shutting down: the listener children drain');
        for (const c of children.values()) send(c, { t: 'shutdown' });
        const timer = setTimeout(() => {
          log.error({ event: 'listener-child-kill', ms: closeBoundMs }, 'listener children did not exit in time: killed');
          for (const c of children.values()) c.proc.kill('SIGKILL');
        }, closeBoundMs);
        await Promise.all([...children.values()].map((c) => c.exited));
        clearTimeout(timer);
        bound.forEach((b) => b.server.close());
        waiting.splice(0).forEach((w) => w.socket.destroy());
        log.info({ event: 'shutdown-complete' }, 'listener primary closed');
      })();
      return closed;
    },
  };
}

/**
 * The handle Node sent to a child and still waits for it to acknowledge. Node detached it from our
 * net.Socket when it sent it, so destroying that socket does not close it, and when more handles are
 * queued behind it Node never closes it either (a channel that ends with handles queued is never fully
 * disconnected): the client would wait for a greeting forever. Node keeps it in `_pendingMessage`.
 */
function closeUnacknowledgedHandle(proc: ChildProcess): void {
  const pending = (proc as unknown as { _pendingMessage?: { handle?: { close?: () => void } } | null })._pendingMessage;
  try {
    pending?.handle?.close?.();
  } catch {
    /* already closed */
  }
}

