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
 * - `tls.rejectUnauthorized`: only `required-verified` checks the certificate (chain to a trusted CA,
 *   or `smtp-tls-ca-file`, and the MX host name), KumoMTA's `Required` against `RequiredInsecure`.
 */
import type { ConnectionOptions } from 'node:tls';
import type { DomainPolicy } from '@vmta/config';
import type { SMTPConnectionOptions } from 'nodemailer/lib/smtp-connection';

export type TlsPolicy = 'disabled' | 'opportunistic' | 'required' | 'required-verified';

/** The lowest TLS version a session may use. */
export type TlsMinVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2';

type TlsDirectives = 'use-starttls' | 'require-starttls' | 'smtp-tls-verify-certificate';

/**
 * `smtp-tls-verify-certificate yes` wins (verification without a plaintext fallback would be for
 * show), then `require-starttls yes` over `use-starttls no` (the operator asked never to send in
 * plaintext).
 */
export function tlsPolicyOf(policy: Pick<DomainPolicy, 'use-starttls' | 'require-starttls'> & Partial<Pick<DomainPolicy, TlsDirectives>>): TlsPolicy {
  if (policy['smtp-tls-verify-certificate']) return 'required-verified';
  if (policy['require-starttls']) return 'required';
  return policy['use-starttls'] ? 'opportunistic' : 'disabled';
}

/** TLS 1.2 unless `smtp-tls-allow-tlsv1` / `smtp-tls-allow-tlsv1.1` (PowerMTA's names) say otherwise. */
export function tlsMinVersionOf(policy: Partial<Pick<DomainPolicy, 'smtp-tls-allow-tlsv1' | 'smtp-tls-allow-tlsv1.1'>>): TlsMinVersion {
  if (policy['smtp-tls-allow-tlsv1']) return 'TLSv1';
  return policy['smtp-tls-allow-tlsv1.1'] ? 'TLSv1.1' : 'TLSv1.2';
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
  /** MX host name for SNI and, under `required-verified`, the name the certificate must carry. */
  servername?: string;
  /** Lowest TLS version; default TLS 1.2. */
  minVersion?: TlsMinVersion;
  /** PEM CA certificates that replace the system CAs for verification (`smtp-tls-ca-file`). */
  ca?: string | Buffer;
}

/**
 * Certificates are not verified unless the policy is `required-verified`: MX hosts rarely have
 * certificates for the name we reach them by, and without DANE/MTA-STS there is no authenticated
 * name to check against anyway (RFC 7435 opportunistic security; Postfix's default
 * `smtp_tls_security_level = may`). `required` only guarantees encryption. TLS 1.2 is the minimum in
 * every mode unless a lower version is allowed: then (and only then) OpenSSL 3 needs SECLEVEL=0 for
 * the old protocols' ciphers.
 */
export function smtpTlsOptions(policy: TlsPolicy, context: SmtpTlsContext = {}): SmtpTlsOptions {
  const sni = context.servername !== undefined ? { servername: context.servername } : {};
  const minVersion = context.minVersion ?? 'TLSv1.2';
  const versions = { minVersion, ...(minVersion !== 'TLSv1.2' ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {}) };
  switch (policy) {
    case 'disabled':
      return { secure: false, ignoreTLS: true, requireTLS: false, opportunisticTLS: false, tls: { rejectUnauthorized: false, ...versions, ...sni } };
    case 'opportunistic':
      return { secure: false, ignoreTLS: false, requireTLS: false, opportunisticTLS: true, tls: { rejectUnauthorized: false, ...versions, ...sni } };
    case 'required':
      return { secure: false, ignoreTLS: false, requireTLS: true, opportunisticTLS: false, tls: { rejectUnauthorized: false, ...versions, ...sni } };
    case 'required-verified':
      return {
        secure: false,
        ignoreTLS: false,
        requireTLS: true,
        opportunisticTLS: false,
        tls: { rejectUnauthorized: true, ...versions, ...sni, ...(context.ca !== undefined ? { ca: context.ca } : {}) },
      };
  }
}
