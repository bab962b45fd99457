/**
 * A connection that failed only because TLS was required: the message is deferred with the reason
 * (so it shows in the `t` accounting record and the log), not only the queue put in retry. Pure.
 */
import type { QueueFailureFacts } from '@vmta/queue';
import type { ConnectError } from '../smtp-client/errors.js';
import type { TlsPolicy } from '../stages/tls-policy.js';
import type { RecipientOutcome } from './outcomes.js';

const TLS_FAILURES = new Set(['tls-unavailable', 'tls-handshake', 'tls-certificate']);

/** The deferral for a TLS-required connect failure; undefined when some host failed for another reason. */
export function tlsRequiredOutcome(err: ConnectError, policy: TlsPolicy): RecipientOutcome | undefined {
  if (policy !== 'required' && policy !== 'required-verified') return undefined;
  const last = err.attempts.at(-1);
  if (last === undefined || !err.attempts.every((a) => TLS_FAILURES.has(a.failure.kind))) return undefined;
  const certificate = last.failure.kind === 'tls-certificate';
  return {
    outcome: 'deferred',
    code: 451,
    // RFC 3463: X.7.5 cryptographic failure (the certificate), X.7.4 security features not supported.
    enhancedCode: certificate ? '4.7.5' : '4.7.4',
    response: `TLS ${policy === 'required-verified' ? 'with a verified certificate ' : ''}required: ${last.host.name} [${last.host.ip}]:${last.host.port}: ${last.failure.kind}: ${last.failure.message}`,
    category: 'bad-connection',
  };
}

/** RFC 3463 status of a failed connection when the server gave none: 4.4.1 no answer from host, 4.4.2 bad connection. */
const STATUS_OF_KIND: Record<string, string> = { refused: '4.4.1', timeout: '4.4.1', 'address-family': '4.4.1', network: '4.4.2' };

/**
 * What the `tq` record of a queue whose every host failed says: the last host tried (`name (ip)`), its
 * reply's enhanced status when it answered (a 421 greeting), else the status of how it failed.
 */
export function connectFailureFacts(err: ConnectError, sourceIp: string | undefined): QueueFailureFacts {
  const last = err.attempts.at(-1);
  if (last === undefined) return { dsnStatus: '4.4.4', dsnDiag: err.message, ...(sourceIp ? { sourceIp } : {}) };
  const f = last.failure;
  const enhanced = f.response ? /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(f.response)?.[1] : undefined;
  const status = enhanced ?? (f.responseCode ? `${String(f.responseCode)[0]}.0.0` : (STATUS_OF_KIND[f.kind] ?? '4.0.0'));
  return {
    dsnStatus: status,
    dsnDiag: f.response ? `${f.responseCode ?? ''} ${f.response}`.trim() : `${f.kind}: ${f.message}`,
    dsnMta: `${last.host.name} (${last.host.ip})`,
    destinationIp: last.host.ip,
    ...(sourceIp ? { sourceIp } : {}),
  };
}
