/**
 * A connection that failed only because TLS was required: the message is deferred with the reason
 * (so it shows in the `t` accounting record and the log), not only the queue put in retry. Pure.
 */
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
