/** Errors of the delivery package. Decide by `code`, never by message text: jobs serialize their errors. */
import type { BounceCategory } from './bounce-category.js';

export type DnsErrorCode =
  /** No server gave a usable answer in time. */
  | 'DNS_TIMEOUT'
  /** A server answered SERVFAIL/REFUSED, or the network failed. */
  | 'DNS_TEMPFAIL'
  /** A reply that does not parse or does not answer our question. */
  | 'DNS_BAD_RESPONSE'
  /** Not a name or address that can be asked about (a PTR lookup of something that is no IP). */
  | 'DNS_BAD_NAME';

export type RouteErrorCode =
  /** DNS could not be asked (SERVFAIL, timeout): try again later. */
  | 'ROUTE_DNS_TEMPFAIL'
  /** The domain does not exist. */
  | 'ROUTE_NXDOMAIN'
  /** The domain says it accepts no mail (RFC 7505 null MX). */
  | 'ROUTE_NULL_MX'
  /** No MX/A/AAAA gave an address to connect to. */
  | 'ROUTE_NONE'
  /** An address literal like [300.1.1.1] that is not an IP address. */
  | 'ROUTE_BAD_LITERAL'
  /** The best host of the route is our own smtp-listener (mail loop). */
  | 'ROUTE_LOOP'
  /** A rolled-up queue (NAME.rollup) whose rollup is no longer configured and that has no smtp-hosts: held, not bounced. */
  | 'ROUTE_ROLLUP_GONE';

export type DeliveryErrorCode = DnsErrorCode | RouteErrorCode | SmtpClientErrorCode | 'TEST_DNS_SERVER';

export class DeliveryError extends Error {
  override readonly name: string = 'DeliveryError';
  constructor(
    readonly code: DeliveryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A failed exchange with one name server (the resolver turns these into `servfail`/`timeout` outcomes). */
export class DnsError extends DeliveryError {
  override readonly name = 'DnsError';
  constructor(
    override readonly code: DnsErrorCode,
    message: string,
    readonly server?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** A route that ended in bounce or defer, for callers that prefer throwing (see `routeError`). */
export class RouteError extends DeliveryError {
  override readonly name = 'RouteError';
  constructor(
    override readonly code: RouteErrorCode,
    readonly action: 'bounce' | 'defer',
    readonly enhancedCode: string,
    readonly category: BounceCategory,
    message: string,
  ) {
    super(code, message);
  }
}

/** Codes of the SMTP client's errors (classes in smtp-client/errors.ts). */
export type SmtpClientErrorCode =
  /** smtp-tls-ca-file could not be read. */
  | 'CONNECT_CA_FILE'
  /** The VMTA named for delivery is not in the config. */
  | 'SOURCE_UNKNOWN_VMTA'
  /** The VMTA has no smtp-source-host usable for outbound connections (only ranges). */
  | 'SOURCE_NONE'
  /** Every source IP of the VMTA is disabled for the queue (disable-source-ip, `vmta disable source`): the mail waits. */
  | 'SOURCE_DISABLED'
  /** No host of the list gave a usable SMTP session: defer (see `attempts`). */
  | 'CONNECT_FAILED'
  /** connect() was called without hosts. */
  | 'CONNECT_NO_HOSTS'
  /** The session is closed, lost or busy with another transaction. */
  | 'SESSION_UNUSABLE'
  /** A transaction without recipients, or a recipient nodemailer refuses to send (CR, LF, <, >). */
  | 'TRANSACTION_INVALID';
