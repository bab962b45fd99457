/**
 * Stage "connect (TLS policy)": an SMTP session to the first host of the route that gives one,
 * from a chosen source address (bound with `localAddress`, EHLO with the source's name).
 *
 * - Any failure to set the session up (refused, timeout, non-220 greeting such as 421, EHLO
 *   refused, TLS failure) moves on to the next host, like Postfix with smtp_skip_5xx_greeting;
 *   when every host failed the caller defers (ConnectError, `attempts` says who failed how).
 * - `required`: nodemailer's requireTLS sends STARTTLS even when not offered and fails when it is
 *   refused or the handshake fails, before any MAIL FROM. We check `secure` once more: a session
 *   that is not encrypted is never returned. Never a plaintext fallback.
 * - `required-verified`: as `required`, and the certificate must verify (`tls-certificate` failure).
 * - `opportunistic`: a refused STARTTLS goes on in plaintext (nodemailer's opportunisticTLS); a
 *   handshake that fails after the 220 is retried on the same host once with TLS disabled.
 * - Bounded: at most `sessionLimit` hosts that greeted and then failed (Postfix smtp_mx_session_limit),
 *   and nothing past `deadline` (smtp-attempt-timeout): a tarpit cannot hold the attempt longer.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import type { DomainPolicy } from '@vmta/config';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { ConnectError, SmtpClientError, type ConnectFailure, type HostAttempt } from './errors.js';
import type { RouteHost } from '../stages/route.js';
import type { OutboundSource } from '../stages/select-source.js';
import { SmtpSession, type SessionTls, type SmtpWireError } from './smtp-session.js';
import { smtpTlsOptions, tlsMinVersionOf, tlsPolicyOf, type TlsMinVersion, type TlsPolicy } from '../stages/tls-policy.js';

export interface SmtpTimeouts {
  /** TCP connect (nodemailer connectionTimeout; it also caps greeting and STARTTLS). */
  connectTimeoutMs: number;
  /** Greeting and STARTTLS handshake (greetingTimeout). */
  greetingTimeoutMs: number;
  /** Inactivity while a command or the message data is under way (socketTimeout). */
  dataSendTimeoutMs: number;
  /** Close the session after this long without a transaction; 0 = the caller closes it. */
  idleTimeoutMs: number;
}

/** The timeouts of a queue's domain policy. */
export function smtpTimeoutsOf(
  policy: Pick<DomainPolicy, 'connect-timeout' | 'smtp-greeting-timeout' | 'data-send-timeout' | 'connection-idle-timeout'>,
): SmtpTimeouts {
  return {
    connectTimeoutMs: policy['connect-timeout'],
    // nodemailer's connectionTimeout bounds the whole setup: give it room for the greeting too.
    greetingTimeoutMs: policy['smtp-greeting-timeout'],
    dataSendTimeoutMs: policy['data-send-timeout'],
    idleTimeoutMs: policy['connection-idle-timeout'],
  };
}

type ConnectDirectives =
  | 'use-starttls'
  | 'require-starttls'
  | 'smtp-tls-verify-certificate'
  | 'smtp-tls-ca-file'
  | 'smtp-tls-allow-tlsv1'
  | 'smtp-tls-allow-tlsv1.1'
  | 'mx-session-limit'
  | 'connect-timeout'
  | 'smtp-greeting-timeout'
  | 'data-send-timeout'
  | 'connection-idle-timeout';

const caFiles = new Map<string, Buffer>();

/** `smtp-tls-ca-file`, read once per process; throws SmtpClientError CONNECT_CA_FILE when it cannot be read. */
function caFile(file: string): Buffer {
  let pem = caFiles.get(file);
  if (pem === undefined) {
    try {
      pem = readFileSync(file);
    } catch (err) {
      throw new SmtpClientError('CONNECT_CA_FILE', `smtp-tls-ca-file ${file}: ${(err as Error).message}`, { cause: err });
    }
    caFiles.set(file, pem);
  }
  return pem;
}

/** What a queue's domain policy says of connecting: TLS policy, versions and CAs, timeouts, the session limit. */
export function connectPolicyOf(policy: Pick<DomainPolicy, ConnectDirectives>): Pick<ConnectInput, 'tlsPolicy' | 'tls' | 'timeouts' | 'sessionLimit'> {
  const ca = policy['smtp-tls-ca-file'];
  return {
    tlsPolicy: tlsPolicyOf(policy),
    tls: { minVersion: tlsMinVersionOf(policy), ...(ca ? { ca: caFile(ca) } : {}) },
    timeouts: smtpTimeoutsOf(policy),
    sessionLimit: policy['mx-session-limit'],
  };
}

export interface ConnectInput {
  /** Hosts in the order to try (route() output). */
  host: RouteHost | readonly RouteHost[];
  source: OutboundSource;
  tlsPolicy: TlsPolicy;
  /** Lowest TLS version (default TLS 1.2) and the CAs that verify certificates under `required-verified` (default the system's). */
  tls?: { minVersion?: TlsMinVersion; ca?: string | Buffer };
  timeouts: SmtpTimeouts;
  /** Give up once this many hosts greeted and then failed (421, EHLO, TLS); 0 or absent = no limit. */
  sessionLimit?: number;
  /** Epoch ms: no host is tried after it, and a session still being set up then is closed (ETIMEDOUT). */
  deadline?: number;
  /** pino logger; a child `{ component: 'smtp-client', host, ip }` is handed to nodemailer. */
  logger?: Logger;
}

let sessionCounter = 0;

type OpenResult = { ok: true; session: SmtpSession } | { ok: false; failure: ConnectFailure };

function failureOf(err: SmtpWireError, stage: string, upgrading: boolean): ConnectFailure {
  const base = {
    errorCode: err.code ?? 'UNKNOWN',
    message: err.message,
    ...(err.originalCode !== undefined ? { systemCode: err.originalCode } : {}),
    ...(err.responseCode !== undefined ? { responseCode: err.responseCode } : {}),
    ...(err.response !== undefined ? { response: err.response } : {}),
    ...(err.command !== undefined ? { command: err.command } : {}),
  };
  const sys = err.originalCode ?? '';
  if (err.code === 'ETIMEDOUT') return { kind: 'timeout', ...base };
  if (isCertificateError(err)) return { kind: 'tls-certificate', ...base };
  if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'].includes(sys) && stage === 'init') return { kind: 'refused', ...base };
  if (upgrading) return { kind: 'tls-handshake', ...base };
  if (err.command === 'STARTTLS' || err.code === 'ETLS') return { kind: err.response ? 'tls-unavailable' : 'tls-handshake', ...base };
  if (err.command === 'CONN' && err.responseCode !== undefined && stage === 'connected' && err.code === 'EPROTOCOL') return { kind: 'greeting', ...base };
  if (err.command === 'EHLO' || err.command === 'HELO') return { kind: err.responseCode === 421 ? 'greeting' : 'ehlo', ...base };
  return { kind: 'network', ...base };
}

/** Node's codes for a certificate that does not verify (chain or name). */
const CERTIFICATE_CODES = /^(?:CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(?:GET_ISSUER_CERT|VERIFY_LEAF_SIGNATURE|DECRYPT_CERT_SIGNATURE)|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH)/;

function isCertificateError(err: SmtpWireError): boolean {
  return CERTIFICATE_CODES.test(err.originalCode ?? '') || CERTIFICATE_CODES.test((err as { reason?: string }).reason ?? '') || /certificate|altnames/i.test(err.message);
}

/** Failures after the server greeted us: they count toward the session limit. */
const SESSION_FAILURES: ReadonlySet<ConnectFailure['kind']> = new Set(['greeting', 'ehlo', 'tls-unavailable', 'tls-handshake', 'tls-certificate']);

function tlsOf(conn: SMTPConnection): SessionTls | undefined {
  const socket = conn._socket;
  if (!conn.secure || !(socket instanceof tls.TLSSocket)) return undefined;
  return { protocol: socket.getProtocol() ?? 'unknown', cipher: socket.getCipher()?.name ?? 'unknown' };
}

/** One attempt: one host, one TLS policy. Never throws. */
export function openSession(host: RouteHost, input: Omit<ConnectInput, 'host'>, attempts: readonly HostAttempt[] = []): Promise<OpenResult> {
  const { source, tlsPolicy, timeouts } = input;
  const servername = net.isIP(host.name) === 0 ? host.name : undefined;
  const remaining = input.deadline === undefined ? Infinity : Math.max(1, input.deadline - Date.now());
  const tlsContext = { ...(servername !== undefined ? { servername } : {}), ...(input.tls?.minVersion ? { minVersion: input.tls.minVersion } : {}), ...(input.tls?.ca !== undefined ? { ca: input.tls.ca } : {}) };
  // nodemailer logs every command at info: that is our debug (one line per delivery is ours, in the token).
  const quiet = input.logger && !['debug', 'trace'].includes(input.logger.level);
  const log = input.logger?.child({ component: 'smtp-client', host: host.name, ip: host.ip, port: host.port, tlsPolicy }, quiet ? { level: 'warn' } : {});
  const conn = new SMTPConnection({
    host: host.ip,
    port: host.port,
    name: source.hostName,
    ...(source.ip !== undefined ? { localAddress: source.ip } : {}),
    ...smtpTlsOptions(tlsPolicy, tlsContext),
    ...(servername !== undefined ? { servername } : {}),
    connectionTimeout: Math.min(timeouts.connectTimeoutMs + timeouts.greetingTimeoutMs, remaining),
    greetingTimeout: Math.min(timeouts.greetingTimeoutMs, remaining),
    socketTimeout: timeouts.dataSendTimeoutMs,
    dnsTimeout: timeouts.connectTimeoutMs,
    logger: (log ?? false) as unknown as SMTPConnection.Options['logger'],
    component: 'smtp-client',
  });
  return new Promise<OpenResult>((resolve) => {
    let settled = false;
    // nodemailer's timeouts are per step: this one bounds the whole setup (a server that answers each step slowly).
    const deadline = remaining === Infinity ? undefined : setTimeout(() => fail({ message: 'smtp-attempt-timeout reached while connecting', code: 'ETIMEDOUT' }, false), remaining);
    const fail = (err: SmtpWireError, upgrading: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      conn.close();
      resolve({ ok: false, failure: failureOf(err, conn.stage, upgrading) });
    };
    conn.on('error', (err: SmtpWireError) => fail(err, conn.upgrading === true));
    conn.connect((err) => {
      if (err) return fail(err, false);
      if (settled) return;
      const sessionTls = tlsOf(conn);
      if ((tlsPolicy === 'required' || tlsPolicy === 'required-verified') && sessionTls === undefined) {
        return fail({ message: 'TLS required but the session is not encrypted', code: 'ETLS', command: 'STARTTLS' }, false);
      }
      settled = true;
      clearTimeout(deadline);
      const socket = conn._socket || undefined;
      const session = new SmtpSession(
        conn,
        {
          id: `${socket?.localAddress ?? '?'}->${host.ip}:${host.port}#${++sessionCounter}`,
          host,
          source,
          tlsPolicy,
          ...(sessionTls !== undefined ? { tls: sessionTls } : {}),
          ...(socket?.localAddress !== undefined ? { localAddress: socket.localAddress } : {}),
          attempts,
        },
        timeouts.idleTimeoutMs,
      );
      log?.info({ session: session.info.id, tls: sessionTls ?? null }, 'smtp session open');
      resolve({ ok: true, session });
    });
  });
}

const sameFamily = (source: OutboundSource, host: RouteHost): boolean =>
  source.ip === undefined || net.isIP(source.ip) === net.isIP(host.ip.replace(/^\[|\]$/g, ''));

/** An SMTP session to the first host that gives one. Throws ConnectError (CONNECT_FAILED) with every attempt. */
export async function connect(input: ConnectInput): Promise<SmtpSession> {
  const hosts: readonly RouteHost[] = Array.isArray(input.host) ? input.host : [input.host as RouteHost];
  if (hosts.length === 0) throw new SmtpClientError('CONNECT_NO_HOSTS', 'connect() needs at least one host');
  const attempts: HostAttempt[] = [];
  let sessions = 0;
  for (const host of hosts) {
    if (input.deadline !== undefined && Date.now() >= input.deadline) break;
    if (input.sessionLimit && sessions >= input.sessionLimit) break;
    if (!sameFamily(input.source, host)) {
      const message = `source ${input.source.ip} cannot reach ${host.ip}`;
      attempts.push({ host, tlsPolicy: input.tlsPolicy, failure: { kind: 'address-family', errorCode: 'EAFNOSUPPORT', message } });
      continue;
    }
    let result = await openSession(host, input, [...attempts]);
    if (!result.ok && input.tlsPolicy === 'opportunistic' && result.failure.kind === 'tls-handshake') {
      attempts.push({ host, tlsPolicy: input.tlsPolicy, failure: result.failure });
      result = await openSession(host, { ...input, tlsPolicy: 'disabled' }, [...attempts]);
      if (!result.ok) attempts.push({ host, tlsPolicy: 'disabled', failure: result.failure });
    } else if (!result.ok) {
      attempts.push({ host, tlsPolicy: input.tlsPolicy, failure: result.failure });
    }
    if (result.ok) return result.session;
    if (SESSION_FAILURES.has(attempts[attempts.length - 1]!.failure.kind)) sessions++;
    input.logger?.warn({ component: 'smtp-client', host: host.name, ip: host.ip, failure: attempts[attempts.length - 1]?.failure }, 'smtp connect failed');
  }
  throw new ConnectError(attempts);
}
