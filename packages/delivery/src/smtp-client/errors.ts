/**
 * Errors of the SMTP client (select source -> connect -> transact): the wire failures of one
 * connection attempt and the classes callers decide on by `code`.
 */
import type { RouteHost } from '../stages/route.js';
import type { TlsPolicy } from '../stages/tls-policy.js';
import { DeliveryError, type SmtpClientErrorCode } from '../errors.js';

/** How one connection attempt to one host ended. Closed union: callers switch on `kind`. */
export type ConnectFailureKind =
  /** TCP refused (nothing listens) or unreachable. */
  | 'refused'
  /** TCP connect, greeting or TLS handshake took too long. */
  | 'timeout'
  /** The greeting was not 220 (e.g. 421 or 554). */
  | 'greeting'
  /** EHLO and HELO were refused. */
  | 'ehlo'
  /** TLS is required and the server does not offer or refuses STARTTLS. */
  | 'tls-unavailable'
  /** The TLS handshake after STARTTLS failed. */
  | 'tls-handshake'
  /** The certificate did not verify (untrusted chain, wrong name) under `required-verified`. */
  | 'tls-certificate'
  /** The source address is IPv4 and the host IPv6 or the other way round: not tried. */
  | 'address-family'
  /** Anything else on the socket (reset, closed before the greeting, protocol garbage). */
  | 'network';

export interface ConnectFailure {
  kind: ConnectFailureKind;
  /** nodemailer's error code (ESOCKET, ETIMEDOUT, ETLS, EPROTOCOL, ECONNECTION) or ours. */
  errorCode: string;
  /** System error code when there is one (ECONNREFUSED, ECONNRESET, ...). */
  systemCode?: string;
  /** Server reply, when the failure was a reply (421 greeting, 502 to STARTTLS). */
  responseCode?: number;
  response?: string;
  /** SMTP step: CONN, EHLO, STARTTLS. */
  command?: string;
  message: string;
}

export interface HostAttempt {
  host: RouteHost;
  /** The TLS policy this attempt used (an opportunistic retry without TLS shows 'disabled'). */
  tlsPolicy: TlsPolicy;
  failure: ConnectFailure;
}

export class SmtpClientError extends DeliveryError {
  override readonly name: string = 'SmtpClientError';
  declare readonly code: SmtpClientErrorCode;
  constructor(code: SmtpClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Every host failed; `attempts` says which host failed how, in the order tried. */
export class ConnectError extends SmtpClientError {
  override readonly name = 'ConnectError';
  constructor(readonly attempts: readonly HostAttempt[]) {
    const last = attempts[attempts.length - 1];
    super(
      'CONNECT_FAILED',
      last === undefined
        ? 'no host to connect to'
        : `all ${attempts.length} connection attempts failed, last ${last.host.name} [${last.host.ip}]:${last.host.port}: ${last.failure.kind}: ${last.failure.message}`,
    );
  }
}
