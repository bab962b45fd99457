/**
 * One smtp-server instance for one `smtp-listener` address. The hooks are thin adapters: they look up the
 * session's state and call the stages (auth-stage, envelope-stage, data-stage), which decide with the pure
 * policy and return the SmtpReplyError to send. smtp-server writes `responseCode + ' ' + message`, and our
 * messages already start with the enhanced status code.
 */
import { hasPasswordUsers, type ListenerConfig } from '@vmta/config';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { AUTH_METHODS, authSubject, checkCredentials, lockoutRefusal, mechanismRefusal, settleAuthAttempt } from './auth-stage.js';
import { endSession, findConnection, forceClose, greetAtOnce, indexConnections, patchConnection, type Connection, type ConnectionHooks } from './connection-patches.js';
import { receiveMessage } from './data-stage.js';
import { ehloFeatures } from './ehlo-features.js';
import { checkMailFrom, checkRcptTo, countLimit } from './envelope-stage.js';
import type { ListenerRuntime } from './listener-runtime.js';
import { declaresSmtputf8, esmtpParameterError, isCommandError, isJunkCommand, replies, SmtpReplyError } from './policy/index.js';
import { skipDroppedLevels, smtpServerLogger } from './server-logger.js';
import { pooledSessionIds } from './session-id.js';
import { checkSuppression } from './suppression-stage.js';
import { authenticate, forgetAuthentication, SmtpSessionState, type SessionState } from './session-state.js';
import type { TlsCredentials } from './tls-certificate.js';

type Callback = (err?: Error | null) => void;

function tooManySessions(hostName: string): SmtpReplyError {
  return new SmtpReplyError('TOO_MANY_CONNECTIONS', 421, '4.7.0', `${hostName} Too many connections, try again later`);
}

const SMTP_VERBS = /^(EHLO|HELO|LHLO|MAIL|RCPT|DATA|BDAT|RSET|NOOP|QUIT|STARTTLS|VRFY|EXPN|HELP)\b/i;

/**
 * A command line as log-commands writes it: never a secret. AUTH keeps only its mechanism; a line that is
 * not an SMTP verb (an AUTH continuation: base64 credentials) is not written at all.
 */
export function loggableCommand(line: string): string {
  const text = line.replace(/[\r\n]+$/, '');
  const auth = /^AUTH\s+(\S+)/i.exec(text);
  if (auth) return `AUTH ${auth[1]!.toUpperCase()} ***`;
  if (!SMTP_VERBS.test(text)) return '***';
  return text.length > 512 ? `${text.slice(0, 512)}...` : text;
}

function tooManyFromClient(hostName: string): SmtpReplyError {
  return new SmtpReplyError('TOO_MANY_CONNECTIONS_FROM_CLIENT', 421, '4.7.0', `${hostName} Too many connections from your address, try again later`);
}

/** smtp-service no (PowerMTA §3.3.7.59): RFC 7504's 521, the host does not accept mail (from this client). */
function serviceRefused(hostName: string): SmtpReplyError {
  return new SmtpReplyError('SMTP_SERVICE_REFUSED', 521, '5.7.1', `${hostName} does not accept mail from you`);
}

/** RFC 5321 §3.8: a server that shuts down answers 421; 4.3.2 = system not accepting network messages. */
export function shuttingDown(hostName: string): SmtpReplyError {
  return new SmtpReplyError('SHUTTING_DOWN', 421, '4.3.2', `${hostName} Service shutting down, try again later`);
}

/** How one smtp-server is tied to its listener (bound-server.ts): the current config, draining, its sessions. */
export interface ServerControl {
  /** The listener as currently configured: a reload that keeps the listener replaces it for new sessions. */
  readonly listener: ListenerConfig;
  /** While set, new sessions and the next command of every session get 421. */
  readonly draining: boolean;
  /** A connection reached onConnect; `accepted` when it is greeted with 220 (else refused with a 421). */
  opened(id: string, conn: Connection | undefined, accepted: boolean): void;
  closed(id: string): void;
}

/** The server-wide options that follow the configuration (host-name, total-max-smtp-in) for new sessions. */
export function refreshServerOptions(server: SMTPServer, rt: ListenerRuntime): void {
  server.options.name = rt.hostName;
  server.options.maxClients = rt.maxSessions;
}

export function createSmtpServer(rt: ListenerRuntime, control: ServerControl, tls: TlsCredentials | undefined): SMTPServer {
  const initial = control.listener;
  const log = rt.log.child({ listener: initial.name });
  const serverLog = rt.rootLog.child({ listener: initial.name });
  let server: SMTPServer;

  const stateOf = (id: string): SmtpSessionState | undefined => rt.sessions.get(id);
  /** Runs a stage; a thrown SmtpReplyError becomes the reply, anything else a logged 451. */
  const reply = (id: string, cb: Callback, stage: () => SmtpReplyError | undefined) => {
    const state = stateOf(id);
    if (!state) return cb(replies.queueUnavailable());
    try {
      cb(stage() ?? null);
    } catch (err) {
      if (err instanceof SmtpReplyError) return cb(err);
      state.log.error({ event: 'handler-error', err }, 'internal error');
      cb(replies.queueUnavailable());
    }
  };

  /** The connection hooks of every session of this server (connection-patches.ts): one object, no closure per session. */
  const hooks: ConnectionHooks = {
    features: (conn, features, secure) => {
      const policy = stateOf(conn.session.id)?.policy;
      return policy ? ehloFeatures(features, { secure, policy, hasUsers: hasPasswordUsers(rt.config) }) : features;
    },
    beforeAuth: async (conn, method, secure, initialResponse) => {
      const s = stateOf(conn.session.id);
      if (!s) return replies.authFailed();
      // AUTH PLAIN with an initial response carries the credentials already: onAuth settles the
      // attempt against the lockout in one round trip, so the read ahead would only add one.
      const credentialsSent = method === 'PLAIN' && initialResponse;
      return mechanismRefusal(s, secure, method) ?? (credentialsSent ? undefined : await lockoutRefusal(rt.rates, s));
    },
    beforeCommand: (conn, line, utf8) => {
      const s = stateOf(conn.session.id);
      if (s?.policy['log-commands']) s.log.info({ event: 'command', command: loggableCommand(line) }, 'smtp command');
      if (control.draining) return shuttingDown(rt.hostName);
      if (s && s.commandErrors >= rt.limits.maxCommandErrors) {
        s.log.info({ event: 'too-many-errors', errors: s.commandErrors }, 'too many protocol errors without a message');
        return replies.tooManyErrors(rt.hostName);
      }
      if (!utf8) return replies.badUtf8();
      if (s && isJunkCommand(line) && ++s.junkCommands > rt.limits.maxJunkCommands) {
        s.log.info({ event: 'too-many-junk-commands', commands: s.junkCommands - 1 }, 'too many commands without a message');
        return replies.tooManyJunkCommands(rt.hostName);
      }
      if (/^\s*EXPN\b/i.test(line)) return replies.expnNotImplemented();
      return esmtpParameterError(line, declaresSmtputf8(conn.session.envelope?.mailFrom));
    },
    failed: (conn, code) => {
      const s = isCommandError(code) ? stateOf(conn.session.id) : undefined;
      if (s) s.commandErrors++;
    },
  };

  const options: SMTPServerOptions = {
    name: rt.hostName,
    secure: initial.immediateTls,
    ...(tls ? { key: tls.key, cert: tls.cert } : {}),
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    disabledCommands: tls ? [] : ['STARTTLS'],
    authMethods: [...AUTH_METHODS],
    // require-auth, TLS-before-AUTH and plain AUTH in the clear are decided per session (see the patches).
    authOptional: true,
    allowInsecureAuth: true,
    disableReverseLookup: true,
    // Advertise SIZE without smtp-server enforcing anything: the number is set per session (ehloFeatures),
    // MAIL FROM SIZE= and the actual bytes are checked by us.
    size: Number.MAX_SAFE_INTEGER,
    hideSize: true,
    // RFC 3461 DSN: advertised; RET/ENVID/NOTIFY/ORCPT are checked on the raw line (esmtpParameterError)
    // and stored with the message (envelope-stage, data-stage).
    hideDSN: false,
    // RFC 2034: advertised, and every reply after EHLO carries an enhanced status code: smtp-server's own
    // replies get its code for the command (250 2.1.0 after MAIL, 500 5.5.2, ...), ours carry their own
    // and pass as they are (connection-patches.ts, patchedSend).
    hideENHANCEDSTATUSCODES: false,
    socketTimeout: rt.limits.idleTimeoutMs,
    closeTimeout: rt.limits.closeTimeoutMs,
    maxCommandLength: rt.limits.maxCommandLength,
    maxClients: rt.maxSessions,
    logger: smtpServerLogger(serverLog) /* smtp-server adds component=smtp-server itself */ as unknown as SMTPServerOptions['logger'],

    onConnect(session, cb) {
      const conn = findConnection(server, session.id);
      // A child of a multi-process listener counts the sessions of every child (the primary's book).
      const handed = rt.handed?.take(session.id, session.remoteAddress, session.remotePort);
      // New sessions during a drain get 421, never 220 (the listening socket stays open so they get an answer).
      if (control.draining) {
        control.opened(session.id, conn, false);
        return cb(shuttingDown(rt.hostName));
      }
      if ((handed ? handed.total : rt.sessions.size) >= rt.maxSessions) {
        control.opened(session.id, conn, false);
        return cb(tooManySessions(rt.hostName));
      }
      const state = new SmtpSessionState(rt.config, log, session.id, control.listener, session.remoteAddress, session.localAddress);
      if (state.policy['smtp-service'] === false) {
        control.opened(session.id, conn, false);
        state.log.info({ event: 'smtp-service-refused' }, 'refused: smtp-service no');
        return cb(serviceRefused(rt.hostName));
      }
      const client = authSubject(state.clientIp);
      const own = rt.sessionsPerClient.get(client) ?? 0;
      const fromClient = handed ? handed.fromClient : own;
      const perClient = countLimit(state.policy['max-smtp-in-per-ip']);
      if (perClient !== undefined && fromClient >= perClient) {
        control.opened(session.id, conn, false);
        state.log.info({ event: 'too-many-from-client', sessions: fromClient }, 'refused: max-smtp-in-per-ip');
        return cb(tooManyFromClient(rt.hostName));
      }
      rt.sessionsPerClient.set(client, own + 1);
      rt.sessions.set(session.id, state);
      const disabled: string[] = [];
      if (!tls || !state.policy['allow-starttls']) disabled.push('STARTTLS');
      if (state.policy['allow-auth'] === false) disabled.push('AUTH');
      (session as { disabledCommands?: string[] }).disabledCommands = disabled;
      control.opened(session.id, conn, true);
      if (conn) {
        patchConnection(conn, hooks);
        state.capTimer = setTimeout(capSession, rt.limits.sessionMaxMs, state, conn, rt);
        state.capTimer.unref();
      }
      const level = state.policy['log-connections'] ? 'info' : 'debug';
      if (state.logs(level)) state.log[level]({ event: 'connect', localIp: state.localIp }, 'connection');
      cb();
    },

    onSecure(_socket, session, cb) {
      const state = stateOf(session.id);
      if (state) forgetAuthentication(rt.config, state);
      cb();
    },

    onAuth(auth, session, cb) {
      const state = stateOf(session.id);
      if (!state) return cb(replies.authFailed());
      const refusal = mechanismRefusal(state, session.secure, auth.method);
      if (refusal) return cb(refusal);
      void (async () => {
        const valid = checkCredentials(rt.config, auth);
        const locked = await settleAuthAttempt(rt.rates, state, valid);
        if (locked) return cb(locked);
        if (!valid) {
          state.log.info({ event: 'auth-failed', method: auth.method, user: auth.username }, 'authentication failed');
          return cb(replies.authFailed());
        }
        authenticate(rt.config, state, auth.username!);
        state.log.info({ event: 'auth', method: auth.method }, 'authenticated');
        cb(null, { user: auth.username });
      })().catch((err: unknown) => {
        state.log.error({ event: 'handler-error', err }, 'internal error in AUTH');
        cb(replies.authRateLimited());
      });
    },

    onMailFrom(address, session, cb) {
      reply(session.id, cb, () => checkMailFrom(stateOf(session.id)!, address));
    },

    onRcptTo(address, session, cb) {
      let accepted = false;
      reply(session.id, (err) => (err ? cb(err) : void (accepted = true)), () =>
        checkRcptTo(rt.config, stateOf(session.id)!, address, session.envelope.rcptTo.length, rt.hostName, (a) => rt.addressLists.processorFor(rt.config, a)),
      );
      if (!accepted) return;
      const state = stateOf(session.id)!;
      checkSuppression(rt, state, address.address.toLowerCase()).then(
        (err) => cb(err ?? null),
        (err: unknown) => {
          state.log.error({ event: 'handler-error', err }, 'internal error');
          cb(replies.queueUnavailable());
        },
      );
    },

    onData(stream, session, cb) {
      const state = stateOf(session.id);
      if (!state) {
        stream.resume();
        return cb(replies.queueUnavailable());
      }
      const deadline = dataDeadline(state, findConnection(server, session.id), stream, rt.hostName);
      receiveMessage(
        { config: rt.config, store: rt.store, reports: rt.reports, selector: rt.selector, hostName: rt.hostName, maxHeaderBytes: rt.limits.maxHeaderBytes, budget: rt.dataBudget, dataCut: deadline.cut },
        state,
        session,
        stream,
      ).then(
        (message) => {
          state.junkCommands = 0;
          state.commandErrors = 0;
          cb(null, message);
        },
        (err: unknown) => {
          if (err instanceof SmtpReplyError) return cb(err);
          if (deadline.cut()) return cb(replies.dataTimeout(rt.hostName));
          state.log.warn({ event: 'data-error', err: (err as Error).message }, 'message not received');
          cb(replies.queueUnavailable());
        },
      ).finally(deadline.clear);
    },

    onClose(session) {
      control.closed(session.id);
      rt.handed?.sessionClosed(session.id);
      const state = stateOf(session.id);
      if (!state) return;
      clearTimeout(state.capTimer);
      rt.sessions.delete(session.id);
      const client = authSubject(state.clientIp);
      const left = (rt.sessionsPerClient.get(client) ?? 1) - 1;
      if (left > 0) rt.sessionsPerClient.set(client, left);
      else rt.sessionsPerClient.delete(client);
      const level = state.policy['log-connections'] ? 'info' : 'debug';
      if (state.logs(level)) state.log[level]({ event: 'close' }, 'connection closed');
    },
  };
  server = new SMTPServer(options);
  skipDroppedLevels(server, serverLog);
  greetAtOnce(server);
  indexConnections(server);
  pooledSessionIds(server);
  return server;
}

/** The whole-session cap reached: 421 and close (one function for every session's timer). */
function capSession(state: SessionState, conn: Connection, rt: ListenerRuntime): void {
  state.log.info({ event: 'session-cap' }, 'session time limit reached');
  endSession(conn, `4.4.2 ${rt.hostName} Session time limit exceeded, closing connection`);
}

/**
 * smtp-data-timeout: the whole DATA phase (354 to the final dot) must end within the source's limit, or
 * the session gets 421 4.4.2 and is closed (a slowloris client holds no slot longer). The clock stops
 * when the dot arrives, so a message being queued is never cut; a cut message is never queued.
 */
function dataDeadline(state: SessionState, conn: Connection | undefined, stream: NodeJS.EventEmitter, hostName: string): { cut: () => boolean; clear: () => void } {
  const limitMs = state.policy['smtp-data-timeout'];
  let cut = false;
  if (!conn || typeof limitMs !== 'number' || limitMs <= 0) return { cut: () => cut, clear: () => {} };
  const timer = setTimeout(() => {
    cut = true;
    state.log.info({ event: 'data-timeout', limitMs }, 'smtp-data-timeout reached: DATA cut with 421, nothing queued');
    forceClose(conn, replies.dataTimeout(hostName).message);
  }, limitMs);
  timer.unref();
  const clear = () => clearTimeout(timer);
  stream.once('end', clear);
  return { cut: () => cut, clear };
}
