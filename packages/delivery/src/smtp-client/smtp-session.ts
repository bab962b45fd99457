/**
 * An open SMTP session (nodemailer SMTPConnection after greeting, EHLO and STARTTLS), made by
 * `connect()` and used by `transact()` for one message after another: RSET between messages,
 * a count for max-msg-per-connection, an idle timer for connection-idle-timeout, and `close()`.
 * Knows nothing of queues.
 */
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { RouteHost } from '../stages/route.js';
import type { OutboundSource } from '../stages/select-source.js';
import type { TlsPolicy } from '../stages/tls-policy.js';
import type { HostAttempt } from './errors.js';

/** TLS of the session after STARTTLS (`tls.TLSSocket#getProtocol()` and `getCipher().name`). */
export interface SessionTls {
  protocol: string;
  cipher: string;
}

export interface SessionInfo {
  /** For logs: `${localAddress}->${ip}:${port}#n`. */
  id: string;
  host: RouteHost;
  source: OutboundSource;
  /** The policy the session was opened with: 'disabled' after an opportunistic handshake failure. */
  tlsPolicy: TlsPolicy;
  /** Set when the session is encrypted. */
  tls?: SessionTls;
  /** Local address the socket is bound to, as the OS reports it. */
  localAddress?: string;
  /** Failed attempts before this session (other hosts, or this host with TLS). */
  attempts: readonly HostAttempt[];
}

/** The error shape nodemailer gives (code, response, responseCode, command). */
export interface SmtpWireError {
  message: string;
  code?: string;
  originalCode?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  recipient?: string;
}

export class SmtpSession {
  private ended = false;
  private lost: SmtpWireError | undefined;
  private busy = false;
  private sent = 0;
  /** The last transaction did not end with a reply to the final dot: RSET before the next one. */
  private needsReset = false;
  /** A transaction ended with an error (refused, lost, timed out): the session is never handed to another queue. */
  private faulted = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    /** @internal for transact(); do not drive it from elsewhere. */
    readonly connection: SMTPConnection,
    readonly info: SessionInfo,
    private readonly idleTimeoutMs = 0,
  ) {
    // nodemailer emits 'error' for a lost connection; without a listener the process would crash.
    connection.on('error', (err: SmtpWireError) => {
      this.lost ??= err;
    });
    connection.once('end', () => {
      this.ended = true;
      this.clearIdle();
    });
  }

  /** Transactions started on this session (MAIL FROM sent), for max-msg-per-connection. */
  get messagesSent(): number {
    return this.sent;
  }

  /** Open, not lost, not closing. */
  get usable(): boolean {
    return !this.ended && !this.connection.destroyed && this.lost === undefined && this.closing === undefined;
  }

  /**
   * May wait for another queue (session-park): open, idle, every transaction so far ended without
   * an error, and the last one with a reply to the final dot, so the server is in its initial
   * state (RFC 5321 §4.1.1.4) and the next MAIL FROM needs no RSET.
   */
  get parkable(): boolean {
    return this.usable && !this.busy && !this.faulted && !this.needsReset;
  }

  /** @internal for transact(): the transaction ended with an error. */
  markFaulted(): void {
    this.faulted = true;
  }

  /** Why the session went away, when it was lost rather than closed by us. */
  get lostError(): SmtpWireError | undefined {
    return this.lost;
  }

  /** Whether another message may go on this session (`max` 0 = unlimited). */
  canSendMore(maxMsgPerConnection: number): boolean {
    return this.usable && !this.busy && (maxMsgPerConnection <= 0 || this.sent < maxMsgPerConnection);
  }

  /**
   * @internal for transact(): claims the session for one transaction; RSET first when the
   * previous transaction was left unfinished (after a reply to the final dot the server is back
   * in its initial state, RFC 5321 §4.1.1.4, and an RSET would only cost a round trip).
   * Resolves with the RSET error when that failed (session closed).
   */
  async begin(): Promise<SmtpWireError | undefined> {
    if (!this.usable || this.busy) return { message: 'session is not usable', code: 'SESSION_UNUSABLE' };
    this.busy = true;
    this.clearIdle();
    if (this.sent > 0 && this.needsReset) {
      const err = await new Promise<SmtpWireError | undefined>((resolve) => this.connection.reset((e) => resolve(e ?? undefined)));
      if (err !== undefined) {
        this.busy = false;
        this.connection.close();
        return err;
      }
    }
    this.sent++;
    return undefined;
  }

  /** @internal for transact(): the transaction is over (`completed`: the final dot got its reply); frees the session for the next one and arms the idle timer. */
  release(completed = false): void {
    this.busy = false;
    this.needsReset = !completed;
    if (!this.usable) return;
    if (this.idleTimeoutMs > 0) {
      this.idleTimer = setTimeout(() => void this.close(), this.idleTimeoutMs);
      this.idleTimer.unref();
    }
  }

  /**
   * Ends the session at `deadline` (epoch ms) whatever it is doing, as a timeout: a command in
   * flight fails with ETIMEDOUT (the attempt bound, smtp-attempt-timeout, against a server that
   * answers slowly but within each command's timeout). `undefined` clears it.
   */
  setDeadline(deadline: number | undefined): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    if (deadline === undefined || !this.usable) return;
    this.deadlineTimer = setTimeout(() => this.cut('smtp-attempt-timeout reached'), Math.max(1, deadline - Date.now()));
    this.deadlineTimer.unref();
  }

  /** Ends the session now whatever it is doing, as a timeout: a command in flight fails with ETIMEDOUT, `reason` its message. */
  abort(reason: string): void {
    this.setDeadline(undefined);
    if (this.ended || this.connection.destroyed) return;
    this.cut(reason);
  }

  private cut(reason: string): void {
    const conn = this.connection as unknown as { _onError(err: Error, type: string, data: false, command: string): void };
    // nodemailer's own timeout path: 'error', close, and the send in flight completed with the error.
    conn._onError(new Error(reason), 'ETIMEDOUT', false, 'CONN');
  }

  /** QUIT and close; resolves once the socket is gone (at most `graceMs` after QUIT). Idempotent. */
  close(graceMs = 5_000): Promise<void> {
    this.clearIdle();
    this.setDeadline(undefined);
    this.closing ??= new Promise<void>((resolve) => {
      if (this.ended || this.connection.destroyed) return resolve();
      const timer = setTimeout(() => this.connection.close(), graceMs);
      timer.unref();
      this.connection.once('end', () => {
        clearTimeout(timer);
        resolve();
      });
      if (this.lost === undefined && !this.busy) this.connection.quit();
      else this.connection.close();
    });
    return this.closing;
  }

  private clearIdle(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
