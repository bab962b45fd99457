/**
 * The logger handed to smtp-server. smtp-server writes about four info lines per connection and logs a
 * client's reset after QUIT as an error with its stack; on loads that open a connection per message
 * that was about a tenth of the listener's CPU (pnpm bench, senders). Our own `connect`/`close` lines
 * (log-connections) and `command` lines (log-commands) say what an operator needs, so smtp-server's
 * lines are kept from warn up, all of them when the logger runs at debug. Socket errors a client causes
 * (reset, broken pipe, timeout) go to debug: they are the client's business, not an error of ours.
 */
import type { Logger } from 'pino';

const CLIENT_SOCKET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

type LogFn = (...args: unknown[]) => void;
export type ServerLogger = Record<'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', LogFn>;

function errorCode(entry: unknown): string | undefined {
  const err = (entry as { err?: { code?: unknown } } | undefined)?.err;
  return typeof err?.code === 'string' ? err.code : undefined;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** What is kept of smtp-server's lines: all of them at debug, else from warn up. */
function keptLogger(log: Logger): Logger {
  return log.isLevelEnabled('debug') ? log : log.child({}, { level: 'warn' });
}

export function smtpServerLogger(log: Logger): ServerLogger {
  const base = keptLogger(log);
  const at = (level: keyof ServerLogger): LogFn => (...args) => (base[level] as (...a: unknown[]) => void)(...args);
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: (...args) => (CLIENT_SOCKET_ERRORS.has(errorCode(args[0]) ?? '') ? at('debug') : at('error'))(...args),
    fatal: at('fatal'),
  };
}

/**
 * smtp-server wraps the logger it is handed (nodemailer's getLogger): every call, at whatever level,
 * copies its fields into a new object before ours is asked, a few times per connection and per command.
 * After the server is built, the levels our logger drops (all below warn unless it runs at debug) are
 * replaced on that wrapper by a no-op, so a dropped line costs nothing. `error` stays, but a client's socket
 * error (which smtpServerLogger moves to debug) is dropped there too when debug is not kept.
 */
export function skipDroppedLevels(server: unknown, log: Logger): void {
  const wrapper = (server as { logger?: Partial<ServerLogger> }).logger;
  if (!wrapper) return;
  const kept = keptLogger(log);
  for (const level of LEVELS) {
    if (level !== 'error' && !kept.isLevelEnabled(level) && typeof wrapper[level] === 'function') wrapper[level] = () => undefined;
  }
  // A client that resets its connection (after QUIT, too: many do) is an error line smtpServerLogger moves
  // to debug; unless debug is kept, it is dropped before the wrapper copies its fields.
  const error = wrapper.error;
  if (!kept.isLevelEnabled('debug') && typeof error === 'function') {
    wrapper.error = (...args) => (CLIENT_SOCKET_ERRORS.has(errorCode(args[0]) ?? '') ? undefined : error(...args));
  }
}
