/**
 * Stage "connect (TLS policy)": the domain's STARTTLS settings as one closed union, mapped in one
 * place to nodemailer's SMTPConnection options (checked against nodemailer 10.6
 * dist/esm/smtp-connection/index.js):
 * - `ignoreTLS`: never send STARTTLS, even when offered;
 * - `requireTLS`: send STARTTLS even when not offered, fail (ETLS/ECONNECTION) if it is refused or
 *   EHLO fails; nodemailer clears ignoreTLS/opportunisticTLS when it is set;
 * - `opportunisticTLS`: when the server answers STARTTLS with an error, go on in plaintext.
 *   A TLS handshake that fails AFTER a 220 to STARTTLS still fails the connection (ETLS): the connect
 *   stage should then retry that host once with 'disabled', as Postfix does.
 */
import type { ConnectionOptions } from 'node:tls';
import type { DomainPolicy } from '@vmta/config';
import type { SMTPConnectionOptions } from 'nodemailer/lib/smtp-connection';

export type TlsPolicy = 'disabled' | 'opportunistic' | 'required';

/** `require-starttls yes` wins over `use-starttls no` (the operator asked never to send in plaintext). */
export function tlsPolicyOf(policy: Pick<DomainPolicy, 'use-starttls' | 'require-starttls'>): TlsPolicy {
  if (policy['require-starttls']) return 'required';
  return policy['use-starttls'] ? 'opportunistic' : 'disabled';
}

/** The part of nodemailer's SMTPConnectionOptions this policy decides. */
export interface SmtpTlsOptions extends Pick<SMTPConnectionOptions, 'secure' | 'ignoreTLS' | 'requireTLS' | 'opportunisticTLS' | 'tls'> {
  /** Port 25 + STARTTLS, never implicit TLS. */
  secure: false;
  ignoreTLS: boolean;
  requireTLS: boolean;
  opportunisticTLS: boolean;
  tls: ConnectionOptions;
}

export interface SmtpTlsContext {
  /** MX host name for SNI (we connect to IP addresses, so nodemailer cannot derive it). */
  servername?: string;
}

/**
 * Certificates are not verified in any mode: MX hosts rarely have certificates for the name we
 * reach them by, and without DANE/MTA-STS there is no authenticated name to check against anyway
 * (RFC 7435 opportunistic security; Postfix's default `smtp_tls_security_level = may`). `required`
 * only guarantees encryption. Opportunistic TLS accepts TLS 1.0 and weak ciphers (OpenSSL 3 needs
 * SECLEVEL=0 for that): some encryption beats the plaintext fallback.
 */
export function smtpTlsOptions(policy: TlsPolicy, context: SmtpTlsContext = {}): SmtpTlsOptions {
  const sni = context.servername !== undefined ? { servername: context.servername } : {};
  switch (policy) {
    case 'disabled':
      return { secure: false, ignoreTLS: true, requireTLS: false, opportunisticTLS: false, tls: { rejectUnauthorized: false, ...sni } };
    case 'opportunistic':
      return {
        secure: false,
        ignoreTLS: false,
        requireTLS: false,
        opportunisticTLS: true,
        tls: { rejectUnauthorized: false, minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0', ...sni },
      };
    case 'required':
      return { secure: false, ignoreTLS: false, requireTLS: true, opportunisticTLS: false, tls: { rejectUnauthorized: false, minVersion: 'TLSv1.2', ...sni } };
  }
}
