/**
 * Errors of the HTTP injection API: an HTTP status, a stable `code`, the request field at fault
 * (a JSON pointer-like path such as `recipients[1].email`, absent when no field is) and a message.
 * Sent as `{ "error": { "code", "field", "message" } }`. `fromReply` maps the listener's SMTP
 * refusals (the same stages refuse HTTP and SMTP mail) to statuses.
 */
import type { SmtpReplyError } from '../policy/index.js';

export class InjectError extends Error {
  override readonly name = 'InjectError';
  /** Messages of the same request enqueued before this error (substitution messages are queued one by one). */
  queued?: unknown[];
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    public field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toJSON(): { error: { code: string; field?: string; message: string }; messages?: unknown[] } {
    return {
      error: { code: this.code, ...(this.field !== undefined ? { field: this.field } : {}), message: this.message },
      ...(this.queued && this.queued.length > 0 ? { messages: this.queued } : {}),
    };
  }
}

/** HTTP status of an SMTP refusal by code; 4yz replies not listed are 503, 5yz ones 422. */
const STATUS_OF_REPLY: Readonly<Record<string, number>> = {
  MESSAGE_TOO_BIG: 413,
  QUEUE_UNAVAILABLE: 503,
  INSUFFICIENT_STORAGE: 503,
  AUTH_RATE_LIMITED: 429,
  AUTH_FAILED: 401,
  AUTH_REQUIRED: 401,
  RELAY_DENIED: 403,
  VMTA_INVALID: 400,
  JOB_ID_INVALID: 400,
  TOO_MANY_RECIPIENTS: 400,
  ADDRESS_INVALID: 400,
  ADDRESS_SYNTAX: 400,
  BARE_LINE_ENDING: 400,
  MAIL_LOOP: 422,
  RECIPIENT_SUPPRESSED: 422,
};

export function statusOfReply(reply: Pick<SmtpReplyError, 'code' | 'responseCode'>): number {
  return STATUS_OF_REPLY[reply.code] ?? (reply.responseCode >= 500 ? 422 : 503);
}

/** The SMTP refusal as an InjectError (its code lower-cased with dashes, its reply text as message). */
export function fromReply(reply: SmtpReplyError, field?: string): InjectError {
  const status = statusOfReply(reply);
  return new InjectError(status, reply.code.toLowerCase().replace(/_/g, '-'), reply.text, field, status === 503 ? { 'retry-after': '60' } : {});
}
