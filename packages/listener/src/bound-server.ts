/**
 * One listener address with its smtp-server and the sessions on it, from bind to the last session.
 * - A listener removed by a reload stops accepting at once (its socket is closed, so a replacement can bind
 *   the same address:port); its sessions go on as usual and are drained only after the close timeout.
 * - Draining (shutdown, or that timeout): idle sessions get 421 now; a session in the middle of a command
 *   or of DATA finishes it (a message gets its 250 once Redis has it) and gets 421 at its next command;
 *   new connections get 421, never 220. What is left when the bound is reached is cut (forceClose).
 */
import type { AddressInfo, Socket } from 'node:net';
import type { ListenerConfig } from '@vmta/config';
import type { Logger } from 'pino';
import type { SMTPServer } from 'smtp-server';
import { destroyConnection, destroyPendingSockets, forceClose, isIdle, type Connection } from './connection-patches.js';
import { ListenerStartError } from './errors.js';
import type { ListenerRuntime } from './listener-runtime.js';
import { listenerIdentity } from './listener-set.js';
import { createSmtpServer, refreshServerOptions, shuttingDown, type ServerControl } from './smtp-listener.js';
import type { TlsCredentials } from './tls-certificate.js';

export interface BoundListener {
  /** The listener as written in the config, e.g. "0/0:25". */
  name: string;
  address: string;
  /** The port actually bound (differs from the configured one when that was 0). */
  port: number;
  immediateTls: boolean;
}

export interface DrainCounts {
  /** Sessions that ended by themselves (QUIT, or the 421 they got when idle). */
  drained: number;
  /** Sessions cut when the bound was reached. */
  forced: number;
}

/** After the 421 of forceClose, how long sockets may take to flush it before they are destroyed. */
const FORCE_GRACE_MS = 250;

export class BoundServer implements ServerControl {
  readonly identity: string;
  listener: ListenerConfig;
  draining = false;
  readonly server: SMTPServer;
  /** Every connection that reached onConnect, until it is closed. */
  private readonly connections = new Map<string, Connection>();
  /** The ones greeted with 220: what a drain waits for. */
  private readonly sessions = new Set<string>();
  private readonly sessionWaiters = new Set<() => void>();
  private bound: AddressInfo | undefined;
  private drainResult: Promise<DrainCounts> | undefined;

  constructor(
    private readonly rt: ListenerRuntime,
    listener: ListenerConfig,
    tls: TlsCredentials | undefined,
    log: Logger,
  ) {
    this.identity = listenerIdentity(listener);
    this.listener = listener;
    this.server = createSmtpServer(rt, this, tls);
    this.server.on('error', (err: Error) => log.warn({ event: 'smtp-error', listener: listener.name, err: err.message }, 'SMTP connection error'));
  }

  get address(): BoundListener {
    const l = this.listener;
    return { name: l.name, address: this.bound?.address ?? l.address.address, port: this.bound?.port ?? l.address.port, immediateTls: l.immediateTls };
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  opened(id: string, conn: Connection | undefined, accepted: boolean): void {
    if (conn) this.connections.set(id, conn);
    if (accepted) this.sessions.add(id);
  }

  closed(id: string): void {
    this.connections.delete(id);
    if (this.sessions.delete(id)) this.sessionWaiters.forEach((w) => w());
  }

  listen(): Promise<BoundListener> {
    // A child of a multi-process listener binds nothing: the primary owns the socket and hands connections in.
    if (this.rt.handed) return Promise.resolve(this.address);
    const { address, port } = this.listener.address;
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(new ListenerStartError(`cannot listen on ${address}:${port}: ${err.message}`, { cause: err }));
      this.server.server.once('error', onError);
      this.server.listen(port, address, () => {
        this.server.server.off('error', onError);
        this.bound = this.server.server.address() as AddressInfo;
        resolve(this.address);
      });
    });
  }

  /** A connection accepted by the primary of a multi-process listener: served as if accepted here. */
  adopt(socket: Socket): void {
    this.server.server.emit('connection', socket);
  }

  /** A reload kept this listener: new sessions get the new listener settings and certificate. */
  update(listener: ListenerConfig, tls: TlsCredentials | undefined): void {
    this.listener = listener;
    refreshServerOptions(this.server, this.rt);
    if (tls) this.server.updateSecureContext({ key: tls.key, cert: tls.cert });
  }

  /**
   * A reload removed this listener: the socket closes now (no new connections), the sessions on it go on
   * and are drained only if they outlast `graceMs`. Resolves when the last one is gone.
   */
  async retire(graceMs: number, boundMs: number): Promise<DrainCounts> {
    this.stopListening();
    const started = this.sessions.size;
    // unref: a retiring listener alone does not keep the process up (its sessions' sockets do).
    const counts = (await this.noSessionsWithin(graceMs, true)) ? { drained: started, forced: 0 } : await this.drain(boundMs);
    this.destroy();
    return { drained: started - counts.forced, forced: counts.forced };
  }

  /** Starts draining (once; later calls share the result). Resolves when no session is left. */
  drain(boundMs: number): Promise<DrainCounts> {
    this.drainResult ??= this.runDrain(boundMs);
    return this.drainResult;
  }

  /** Nothing may stay open: the listening socket, connections being refused or half-closed, handshakes. */
  destroy(): void {
    this.stopListening();
    destroyPendingSockets(this.server);
    for (const conn of this.connections.values()) destroyConnection(conn);
    for (const conn of this.server.connections) destroyConnection(conn);
  }

  private stopListening(): void {
    if (this.server.server.listening) this.server.server.close();
  }

  private async runDrain(boundMs: number): Promise<DrainCounts> {
    this.draining = true;
    const started = this.sessions.size;
    const reply = shuttingDown(this.rt.hostName);
    for (const id of this.sessions) {
      const conn = this.connections.get(id);
      if (conn && isIdle(conn)) conn.send(reply.responseCode, reply.message);
    }
    if (await this.noSessionsWithin(boundMs)) return { drained: started, forced: 0 };
    const forced = this.sessions.size;
    for (const id of this.sessions) {
      const conn = this.connections.get(id);
      if (conn) forceClose(conn, reply.message);
    }
    await this.noSessionsWithin(FORCE_GRACE_MS);
    return { drained: started - forced, forced };
  }

  /** True as soon as no session is left, false when `ms` passed first. */
  private noSessionsWithin(ms: number, unref = false): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.sessions.size === 0) return resolve(true);
      const done = (empty: boolean) => {
        clearTimeout(timer);
        this.sessionWaiters.delete(check);
        resolve(empty);
      };
      const check = () => {
        if (this.sessions.size === 0) done(true);
      };
      const timer = setTimeout(() => done(false), ms);
      if (unref) timer.unref();
      this.sessionWaiters.add(check);
    });
  }
}
