/**
 * Per-session adjustments smtp-server 3.21 has no option for, installed on the SMTPConnection instance
 * (own properties shadowing prototype methods; nothing global is changed). Pinned to smtp-server 3.21.x:
 * - EHLO: smtp-server builds one capability list per server; `ehloFeatures` adjusts SIZE (the server runs
 *   with `hideSize`, so it advertises a bare SIZE and leaves MAIL FROM SIZE= to us) and AUTH per session.
 * - MAIL FROM / RCPT TO with invalid DSN parameters: 501 5.5.4 before smtp-server parses the line.
 * - AUTH: refuse a mechanism the channel does not allow (538 5.7.11) or a locked-out client (454 4.7.0)
 *   at the AUTH command, before the client sends credentials (the hook is told whether the line carries
 *   an initial response, i.e. the credentials are there already).
 * - The whole-session cap: 421 and close.
 * - MAIL FROM / RCPT TO: a quoted local part with a space or "@" is parsed, and a path without its angle
 *   brackets is taken as Postfix takes it (quoted-local-part.ts).
 * - QUIT: smtp-server sends 221, half-closes and keeps the socket until the client closes its side (or
 *   5 s pass), reading and discarding what comes. Once the 221 and our FIN are flushed the session has
 *   nothing left to say or hear, so the socket is closed then (`patchedQuit`): the client's FIN, or the
 *   RST of a client that closes with SO_LINGER 0 (smtp-source, many libraries), reaches a socket the
 *   kernel answers alone. The RST path cost a read error, an ECONNRESET object with its stack and an error
 *   teardown per connection in the listener; with a FIN it saved a wake-up and a read.
 * - The greeting: smtp-server waits 100 ms before every 220 to catch early talkers (a fixed timer in
 *   SMTPConnection.init). A sender that opens a connection per message then waits 100 ms per message
 *   (measured: 10 msg/s per concurrent sender). `greetAtOnce` sends the greeting as soon as the socket is
 *   set up; a client that talks before the 220 still gets smtp-server's "421 You talk too soon".
 * - Draining (shutdown, or a listener removed by a reload): smtp-server's own close() answers every next
 *   command with "421 Server shutting down" at once and cuts what is left after closeTimeout; it cannot
 *   drain one listener while another keeps running, nor tell an idle session (421 now) from one in the
 *   middle of DATA (finish the message, 421 at the next command). So the listener never calls it: a hook
 *   in front of the command dispatcher refuses the next command while draining, and the drain itself
 *   (bound-server.ts) decides which session is idle and when to force the rest.
 */
import { isUtf8 } from 'node:buffer';
import type { SMTPServer } from 'smtp-server';
import type { SmtpReplyError } from './policy/index.js';
import { bracketBarePath, maskQuotedLocalPart, unmaskAddress } from './quoted-local-part.js';

export type Connection = SMTPServer['connections'] extends Set<infer C> ? C : never;

/**
 * What the listener decides for its connections. One object per server, shared by all its connections:
 * every hook is told which connection asks (a session set-up builds no closures).
 */
export interface ConnectionHooks {
  /** Adjusts the EHLO capability list (the lines after the greeting line). */
  features(conn: Connection, features: string[], secure: boolean): string[];
  /** Decides on an AUTH command before the exchange starts (`initialResponse`: the line carries one); undefined lets it proceed. */
  beforeAuth(conn: Connection, method: string, secure: boolean, initialResponse: boolean): Promise<SmtpReplyError | undefined>;
  /**
   * A reply instead of running the command line: a 421 ends the session, any other reply (a 501 for
   * bad DSN parameters) answers the command and the session goes on; undefined runs it. `utf8`: the
   * line's bytes are valid UTF-8 (`line` is their decoding, where invalid bytes became U+FFFD); a line
   * of an AUTH exchange is always given as valid (smtp-server answers what it cannot decode).
   */
  beforeCommand(conn: Connection, line: string, utf8: boolean): SmtpReplyError | undefined;
  /** Told of every reply with a code of 500 or more the connection sends (smtp-server's and ours). */
  failed(conn: Connection, code: number): void;
}

/** Connections by session id, kept by indexConnections: a look-up per session and per DATA costs O(1), not O(sessions). */
const indexes = new WeakMap<SMTPServer, Map<string, Connection>>();

export function findConnection(server: SMTPServer, sessionId: string): Connection | undefined {
  const index = indexes.get(server);
  if (index) return index.get(sessionId);
  for (const c of server.connections) if (c.session.id === sessionId) return c;
  return undefined;
}

/** Keeps server.connections indexed by session id (smtp-server adds a connection before init, deletes it on close). */
export function indexConnections(server: SMTPServer): void {
  const index = new Map<string, Connection>();
  for (const c of server.connections) index.set(c.session.id, c);
  indexes.set(server, index);
  const connections = server.connections as Set<Connection>;
  const add = connections.add.bind(connections);
  const remove = connections.delete.bind(connections);
  connections.add = (conn: Connection) => {
    index.set(conn.session.id, conn);
    return add(conn);
  };
  connections.delete = (conn: Connection) => {
    if (index.get(conn.session.id) === conn) index.delete(conn.session.id);
    return remove(conn);
  };
}

/** A patched connection: its server's hooks, and whether an EHLO reply is being written. */
type Patched = Connection & { vmtaHooks: ConnectionHooks; vmtaInEhlo: boolean };
type Handler = (command: Buffer, callback: () => void) => void;
type Send = Connection['send'];

/** smtp-server's own methods (the prototype's), read once from the first connection patched. */
let original:
  | { send: Send; ehlo: Handler; auth: Handler; quit: Handler; onCommand: Connection['_onCommand']; parseAddress: Connection['_parseAddressCommand'] }
  | undefined;

/**
 * Installs the hooks on one connection: four own properties, each a function shared by every connection
 * (they find the hooks on `this`), so a session's set-up allocates no closure and binds nothing.
 */
export function patchConnection(conn: Connection, hooks: ConnectionHooks): void {
  if (!original) {
    const proto = Object.getPrototypeOf(conn) as Connection;
    original = { send: proto.send, ehlo: proto.handler_EHLO, auth: proto.handler_AUTH, quit: proto.handler_QUIT, onCommand: proto._onCommand, parseAddress: proto._parseAddressCommand };
  }
  const c = conn as Patched;
  c.vmtaHooks = hooks;
  c.vmtaInEhlo = false;
  // The parser calls `conn._onCommand(...)` by name (also the new parser after STARTTLS), so an own
  // property takes over every command line, AUTH continuation lines included.
  c._onCommand = patchedOnCommand;
  c.send = patchedSend;
  c.handler_EHLO = patchedEhlo;
  c.handler_AUTH = patchedAuth;
  c.handler_QUIT = patchedQuit;
  c._parseAddressCommand = patchedParseAddress;
}

/** smtp-server's MAIL FROM / RCPT TO parser, taught the quoted local part (quoted-local-part.ts). */
function patchedParseAddress(this: Patched, name: string, command: Buffer | string): ReturnType<Connection['_parseAddressCommand']> {
  const line = bracketBarePath(command.toString());
  const masked = maskQuotedLocalPart(line);
  if (!masked) return original!.parseAddress.call(this, name, line);
  const parsed = original!.parseAddress.call(this, name, masked.line);
  if (!parsed) return parsed;
  const address = unmaskAddress(parsed.address, masked.local);
  if (address === undefined) return false;
  parsed.address = address;
  return parsed;
}

function patchedOnCommand(this: Patched, command: Buffer, callback?: () => void): void {
  // Never while a TLS handshake runs: anything buffered then is plaintext that smtp-server discards without a reply.
  const utf8 = this._nextHandler !== false || isUtf8(command);
  const refusal = this._upgrading ? undefined : this.vmtaHooks.beforeCommand(this, command.toString(), utf8);
  if (!refusal) return original!.onCommand.call(this, command, callback);
  // A 421 makes smtp-server close the connection; the parser is not resumed.
  patchedSend.call(this, refusal.responseCode, refusal.message);
  if (refusal.responseCode !== 421) callback?.();
}

/**
 * smtp-server replies (by code and text, texts found nowhere else) whose enhanced code it chooses from the
 * reply code alone, with the right one. Its 501 replies inside an AUTH exchange (sasl.js): the codes of
 * RFC 4954 §4 instead of its 5.5.4 for every 501, a response it cannot decode 5.5.2, a client's "*"
 * cancelling the exchange 5.7.0 (as Postfix answers it). Its 421 for a client cut off for its junk: 4.7.0
 * (policy, as Postfix's "too many errors") instead of 4.4.2, which says the connection failed.
 */
const REPLY_CODES = new Map<string, string>([
  ['501 Authentication aborted', '5.7.0'],
  ['501 Error: invalid userdata', '5.5.2'],
  ['501 Error: missing username', '5.5.2'],
  ['421 Error: too many unrecognized commands', '4.7.0'],
  ['421 Error: too many unauthenticated commands', '4.7.0'],
]);

/** A reply text that starts with its own enhanced status code (RFC 3463), e.g. "5.7.1 Relaying denied". */
const OWN_ENHANCED_CODE = /^[245]\.\d{1,3}\.\d{1,3}(?: |$)/;

/**
 * Every reply goes through here. The EHLO reply is the only multi-line 250 and is sent synchronously by
 * the handler: its features are adjusted. smtp-server (run with ENHANCEDSTATUSCODES advertised) puts an
 * enhanced code of its own choosing in front of every reply after EHLO; a text that carries its own (all
 * of ours: SmtpReplyError) goes out as it is, so the code is the right one and appears exactly once.
 */
function patchedSend(this: Patched, code: number, data?: string | string[], context?: unknown): void {
  if (this.vmtaInEhlo && code === 250 && Array.isArray(data) && data.length > 0) {
    const [greeting, ...features] = data;
    data = [greeting!, ...this.vmtaHooks.features(this, features, this.secure)];
  }
  if ((code === 501 || code === 421) && typeof data === 'string') {
    const enhanced = REPLY_CODES.get(`${code} ${data}`);
    if (enhanced) data = `${enhanced} ${data}`;
  }
  const first = Array.isArray(data) ? data[0] : data;
  if (typeof first === 'string' && OWN_ENHANCED_CODE.test(first)) context = false;
  if (code >= 500) this.vmtaHooks.failed(this, code);
  (original!.send as (this: Connection, ...a: unknown[]) => void).call(this, code, data, context);
}

function patchedEhlo(this: Patched, command: Buffer, callback: () => void): void {
  this.vmtaInEhlo = true;
  try {
    original!.ehlo.call(this, command, callback);
  } finally {
    this.vmtaInEhlo = false;
  }
}

/** smtp-server's QUIT (221, then end() and the 5 s half-close deadline), and the socket closed once both are flushed. */
function patchedQuit(this: Patched, command: Buffer, callback: () => void): void {
  original!.quit.call(this, command, callback);
  const socket = this._socket;
  if (socket.destroyed) return;
  if (socket.writableFinished) socket.destroy();
  else socket.once('finish', destroyFinished);
}

/** A 'finish' listener shared by every socket (`this` is the socket): closes it once our side is flushed. */
function destroyFinished(this: Connection['_socket']): void {
  this.destroy();
}

function patchedAuth(this: Patched, command: Buffer, callback: () => void): void {
  const auth = original!.auth;
  const args = command.toString().trim().split(/\s+/);
  const method = (args[1] ?? '').toUpperCase();
  if (this.session.user) return auth.call(this, command, callback);
  this.vmtaHooks.beforeAuth(this, method, this.secure, args.length > 2).then(
    (refusal) => {
      if (refusal) {
        patchedSend.call(this, refusal.responseCode, refusal.message);
        callback();
      } else {
        auth.call(this, command, callback);
      }
    },
    () => {
      patchedSend.call(this, 454, '4.7.0 Temporary authentication failure');
      callback();
    },
  );
}

/**
 * Makes every new connection of `server` greet at once instead of after smtp-server's 100 ms early-talker
 * timer. smtp-server's connect() creates the connection, adds it to `connections` and calls init() at once,
 * so the own `init` is installed by the instance's `connections.add` (nothing global is changed). The body
 * is smtp-server 3.21's init() without the timer.
 */
export function greetAtOnce(server: SMTPServer): void {
  const connections = server.connections as Set<Connection>;
  const add = connections.add.bind(connections);
  connections.add = (conn: Connection) => {
    (conn as Greeted).init = initAtOnce;
    return add(conn);
  };
}

type Greeted = Connection & { _setListeners(cb: () => void): void; connectionReady(): void };

/** smtp-server 3.21's init() without the timer; one function for every connection (`this` is the connection). */
function initAtOnce(this: Greeted): void {
  this._setListeners(() => {
    const max = this._server.options.maxClients;
    if (max && this._server.connections.size > max) {
      return this.send(421, `${this.name} Too many connected clients, try again in a moment`);
    }
    this.connectionReady();
  });
}

/** Ends a session that ran too long, whatever it is doing. */
export function endSession(conn: Connection, text: string): void {
  conn.send(421, text);
}

/**
 * Waits for the client: greeted, no command handler running, not in DATA (smtp-server keeps `_dataStream`
 * until the reply to the message is sent), no TLS handshake. Such a session loses nothing to a 421.
 */
export function isIdle(conn: Connection): boolean {
  return conn._ready && !conn._handlerPending && !conn._dataStream && !conn._upgrading && !conn._closing;
}

/**
 * The end of a drain: 421 (unless the session is already closing), then the socket goes as soon as the
 * reply is flushed, or at once when it was closing already. smtp-server's close() alone would wait up to
 * 5 s for the client to close its side. A message still in DATA is cut: its stream errors, so it is
 * never queued and never gets a 250.
 */
export function forceClose(conn: Connection, text: string): void {
  const socket = conn._socket;
  if (conn._closing || socket.destroyed) {
    socket.destroy();
    return;
  }
  conn.send(421, text);
  if (socket.writableFinished) socket.destroy();
  else socket.once('finish', () => socket.destroy());
}

/** The last resort after forceClose: sockets still open are destroyed. */
export function destroyConnection(conn: Connection): void {
  if (!conn._socket.destroyed) conn._socket.destroy();
}

/**
 * Sockets accepted but not yet handed to a session (implicit TLS handshake or PROXY header in progress).
 * Destroys the topmost socket, as smtp-server's close() does: tearing a TLS socket down from below in
 * the middle of a handshake crashes Node.
 */
export function destroyPendingSockets(server: SMTPServer): void {
  server._pendingSockets.forEach((top) => top.destroy());
}

