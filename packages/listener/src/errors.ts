/** Errors of the listener package. Decide by `code`. SMTP replies are SmtpReplyError (policy/smtp-reply.ts). */

/** A listener could not start: unreadable certificate, address in use, implicit TLS without certificate. */
export class ListenerStartError extends Error {
  override readonly name = 'ListenerStartError';
  readonly code = 'LISTENER_START_FAILED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
