/**
 * SMTP replies the listener sends, as errors with a stable `code` (decide by it, never by the text).
 *
 * How smtp-server 3.21 writes an error handed to a callback (onMailFrom, onRcptTo, onData, onAuth):
 * `send(err.responseCode || 550, err.message)`. The listener advertises ENHANCEDSTATUSCODES, and
 * smtp-server would then insert a code of its own chosen from the reply code alone (550 → 5.1.1, 452 →
 * 4.2.2, 538 → 5.7.0, ...), wrong for most replies below. So `message` carries the enhanced code, and the
 * connection's send (connection-patches.ts) passes a text that starts with one as it is: "5.7.1 Relaying
 * denied" goes out as "550 5.7.1 Relaying denied", exactly once.
 * `text` is the reply text without any code; `response` is the full reply line(s).
 */

export type SmtpReplyCode =
  | 'RELAY_DENIED'
  | 'VMTA_INVALID'
  | 'TOO_MANY_RECIPIENTS'
  | 'PROCESSOR_APART'
  | 'INSUFFICIENT_STORAGE'
  | 'MAIL_LOOP'
  | 'TOO_MANY_CONNECTIONS_FROM_CLIENT'
  | 'SMTP_SERVICE_REFUSED'
  | 'MESSAGE_TOO_BIG'
  | 'BARE_LINE_ENDING'
  | 'QUEUE_UNAVAILABLE'
  | 'DATA_TIMEOUT'
  | 'TOO_MANY_JUNK_COMMANDS'
  | 'TOO_MANY_ERRORS'
  | 'EXPN_NOT_IMPLEMENTED'
  | 'COMMAND_NOT_UTF8'
  | 'SHUTTING_DOWN'
  | 'TOO_MANY_CONNECTIONS'
  | 'AUTH_FAILED'
  | 'AUTH_RATE_LIMITED'
  | 'AUTH_REQUIRED'
  | 'ENCRYPTION_REQUIRED'
  | 'ADDRESS_INVALID'
  | 'ADDRESS_SYNTAX'
  | 'DSN_PARAMETER'
  | 'UNSUPPORTED_PARAMETER'
  | 'SMTPUTF8_REQUIRED'
  | 'JOB_ID_INVALID'
  | 'RECIPIENT_SUPPRESSED';

const ENHANCED_RE = /^([245])\.(\d{1,3})\.(\d{1,3})$/;
const CONTROL_RE = /[\x00-\x1f\x7f]+/g;

/** One line of reply text: control characters (CR, LF, ...) become a space so a reply can never be split. */
function cleanText(text: string): string {
  return text.replace(CONTROL_RE, ' ').trim();
}

function checkCodes(responseCode: number, enhancedCode: string): void {
  const m = ENHANCED_RE.exec(enhancedCode);
  if (!Number.isInteger(responseCode) || responseCode < 200 || responseCode > 599) {
    throw new TypeError(`SMTP reply code must be 200-599, got ${responseCode}`);
  }
  if (!m || m[1] !== String(responseCode)[0]) {
    throw new TypeError(`enhanced status code ${enhancedCode} does not fit reply code ${responseCode}`);
  }
}

/**
 * Formats a reply the way it goes on the wire (without the final CRLF): "550 5.7.1 Relaying denied", or
 * for several lines "550-5.7.1 first" CRLF "550 5.7.1 last" (RFC 2034: the enhanced code on every line).
 */
export function smtpReply(responseCode: number, enhancedCode: string, text: string | readonly string[]): string {
  checkCodes(responseCode, enhancedCode);
  const lines = (typeof text === 'string' ? text.split(/\r?\n/) : [...text]).map(cleanText);
  if (lines.length === 0) lines.push('');
  return lines
    .map((line, i) => `${responseCode}${i < lines.length - 1 ? '-' : ' '}${enhancedCode}${line ? ` ${line}` : ''}`)
    .join('\r\n');
}

export interface SmtpReplyErrorOptions {
  /** The SMTP command being answered (nodemailer's error shape), e.g. 'RCPT TO'. */
  command?: string;
}

export class SmtpReplyError extends Error {
  override readonly name = 'SmtpReplyError';
  /** Reply text without the codes, e.g. "Relaying denied". */
  readonly text: string;
  /** The full reply as the client sees it, e.g. "550 5.7.1 Relaying denied". */
  readonly response: string;
  readonly command?: string;

  constructor(
    readonly code: SmtpReplyCode,
    readonly responseCode: number,
    readonly enhancedCode: string,
    text: string,
    options: SmtpReplyErrorOptions = {},
  ) {
    checkCodes(responseCode, enhancedCode);
    const clean = cleanText(text);
    // What smtp-server writes after `responseCode` (see the note at the top of this file).
    super(`${enhancedCode} ${clean}`);
    this.text = clean;
    this.response = smtpReply(responseCode, enhancedCode, clean);
    if (options.command !== undefined) this.command = options.command;
  }

  /** Temporary (4xx) rather than permanent (5xx). */
  get temporary(): boolean {
    return this.responseCode < 500;
  }

  /** Plain data for logs and job records (errors are serialized). */
  toJSON(): { name: string; code: SmtpReplyCode; responseCode: number; enhancedCode: string; text: string; response: string; command?: string } {
    const { name, code, responseCode, enhancedCode, text, response, command } = this;
    return command === undefined
      ? { name, code, responseCode, enhancedCode, text, response }
      : { name, code, responseCode, enhancedCode, text, response, command };
  }
}

/** Shortens a client-supplied value for a reply: printable ASCII only, at most 64 characters. */
function quoteValue(value: string): string {
  const printable = value.replace(/[^\x21-\x7e]/g, '?');
  return printable.length > 64 ? `${printable.slice(0, 61)}...` : printable;
}

/** Longest job id accepted (X-Job / jobid-header). */
export const MAX_JOB_ID_LENGTH = 200;

/** The replies the listener uses. Each call returns a new error. */
export const replies = {
  /** RFC 5321 §3.6.2 / RFC 3463 X.7.1; `relay-debug` turns it temporary so a misconfigured feeder retries. */
  relayDenied(debug = false, detail?: string): SmtpReplyError {
    const text = detail ? `Relaying denied (${detail})` : 'Relaying denied';
    return debug
      ? new SmtpReplyError('RELAY_DENIED', 451, '4.7.1', text, { command: 'RCPT TO' })
      : new SmtpReplyError('RELAY_DENIED', 550, '5.7.1', text, { command: 'RCPT TO' });
  },
  /** An X-Virtual-MTA header or default-virtual-mta naming no VMTA or pool (reject-invalid-virtual-mta). */
  invalidVirtualMta(name: string): SmtpReplyError {
    return new SmtpReplyError('VMTA_INVALID', 550, '5.7.1', `Invalid virtual MTA ${quoteValue(name)}`, {
      command: 'DATA',
    });
  },
  /** A job id (X-Job, or the jobid-header) with white space or control characters, or too long (PowerMTA §3.3.7.45). */
  invalidJobId(header: string): SmtpReplyError {
    return new SmtpReplyError('JOB_ID_INVALID', 550, '5.6.0', `Invalid job id in ${quoteValue(header)}: printable characters without spaces, at most ${MAX_JOB_ID_LENGTH}`, {
      command: 'DATA',
    });
  },
  /** RFC 5321 §4.5.3.1.10: 452 for too many recipients; RFC 3463 X.5.3. The client sends the rest later. */
  tooManyRecipients(): SmtpReplyError {
    return new SmtpReplyError('TOO_MANY_RECIPIENTS', 452, '4.5.3', 'Too many recipients', { command: 'RCPT TO' });
  },
  /** A processor address (feedback loop, bounce) and other recipients in one transaction: send them apart. */
  processorApart(): SmtpReplyError {
    return new SmtpReplyError('PROCESSOR_APART', 452, '4.5.3', 'Reports go in a transaction of their own, send this recipient separately', { command: 'RCPT TO' });
  },
  /** RFC 5321 §4.2.2: 452 insufficient storage; RFC 3463 X.3.1 mail system full. The process holds too much DATA in memory right now. */
  insufficientStorage(): SmtpReplyError {
    return new SmtpReplyError('INSUFFICIENT_STORAGE', 452, '4.3.1', 'Insufficient system storage, try again later', { command: 'DATA' });
  },
  /** RFC 5321 §6.3: a message that went through too many hops is in a loop; RFC 3463 X.4.6 routing loop detected. */
  mailLoop(hops: number): SmtpReplyError {
    return new SmtpReplyError('MAIL_LOOP', 554, '5.4.6', `Too many hops (${hops} Received headers): mail loop`, { command: 'DATA' });
  },
  /** RFC 1870 §6: 552 with X.3.4; for MAIL FROM SIZE= and for the actual DATA bytes. */
  messageTooBig(maxBytes?: number): SmtpReplyError {
    const text =
      maxBytes === undefined
        ? 'Message size exceeds fixed maximum message size'
        : `Message size exceeds fixed maximum message size of ${maxBytes} bytes`;
    return new SmtpReplyError('MESSAGE_TOO_BIG', 552, '5.3.4', text);
  },
  /**
   * A bare LF or CR in the message (RFC 5321 §2.3.8; the SMTP smuggling vector). 550 5.6.0: the content
   * itself is malformed (X.6.0 "other or undefined media error") and resending it unchanged cannot succeed.
   * X.5.2 (Postfix's choice) describes a command syntax error, which DATA content is not.
   */
  bareLineEnding(kind: 'LF' | 'CR'): SmtpReplyError {
    return new SmtpReplyError('BARE_LINE_ENDING', 550, '5.6.0', `Message contains a bare <${kind}>; lines must end with <CR><LF>`, {
      command: 'DATA',
    });
  },
  /** RFC 3463 X.3.0: the queue (Redis) could not take the message; the client retries. */
  queueUnavailable(): SmtpReplyError {
    return new SmtpReplyError('QUEUE_UNAVAILABLE', 451, '4.3.0', 'Temporary local problem, please try again later');
  },
  /**
   * smtp-data-timeout: DATA did not end in time (a slow or stalled client). RFC 5321 §3.8: 421 and the
   * connection is closed; RFC 3463 X.4.2 (bad connection), as for the session time cap. Never a 250.
   */
  dataTimeout(hostName: string): SmtpReplyError {
    return new SmtpReplyError('DATA_TIMEOUT', 421, '4.4.2', `${hostName} DATA not completed in time, closing connection`, { command: 'DATA' });
  },
  /**
   * EXPN: a command of RFC 5321 that we do not implement (mailing lists are not expanded here), so §4.2.4's
   * 502 "command not implemented" (as Sendmail and Exim answer it), not the 500 of a command nobody knows.
   */
  expnNotImplemented(): SmtpReplyError {
    return new SmtpReplyError('EXPN_NOT_IMPLEMENTED', 502, '5.5.1', 'EXPN command not implemented');
  },
  /**
   * A command line whose bytes are not UTF-8 (RFC 3629): its address or name could only be read with the
   * bytes replaced, so it is refused whole (Postfix smtpd with smtputf8_enable answers the same); the session goes on.
   */
  badUtf8(): SmtpReplyError {
    return new SmtpReplyError('COMMAND_NOT_UTF8', 500, '5.5.2', 'Error: bad UTF-8 syntax');
  },
  /** Too many commands without progress (policy/junk-commands.ts): RFC 5321 §3.8 421, RFC 3463 X.7.0. */
  tooManyJunkCommands(hostName: string): SmtpReplyError {
    return new SmtpReplyError('TOO_MANY_JUNK_COMMANDS', 421, '4.7.0', `${hostName} Too many commands without a message, closing connection`);
  },
  /** Too many protocol errors without a message (policy/junk-commands.ts isCommandError): Postfix's reply. */
  tooManyErrors(hostName: string): SmtpReplyError {
    return new SmtpReplyError('TOO_MANY_ERRORS', 421, '4.7.0', `${hostName} Error: too many errors`);
  },
  /** RFC 4954 §6: 535 5.7.8. */
  authFailed(): SmtpReplyError {
    return new SmtpReplyError('AUTH_FAILED', 535, '5.7.8', 'Authentication credentials invalid', { command: 'AUTH' });
  },
  /**
   * smtp-max-auth-failure-rate exceeded. RFC 4954 §6: 454 4.7.0 "temporary authentication failure";
   * unlike 421 it keeps the session (the client may still send unauthenticated mail where allowed).
   */
  authRateLimited(): SmtpReplyError {
    return new SmtpReplyError('AUTH_RATE_LIMITED', 454, '4.7.0', 'Temporary authentication failure, too many failed attempts', {
      command: 'AUTH',
    });
  },
  /** RFC 4954 §6: 530 5.7.0, e.g. MAIL FROM before AUTH under require-auth. */
  authRequired(): SmtpReplyError {
    return new SmtpReplyError('AUTH_REQUIRED', 530, '5.7.0', 'Authentication required');
  },
  /** RFC 4954 §6: 538 5.7.11, AUTH over a clear channel (require-starttls-before-auth, plain auth in clear). */
  encryptionRequired(): SmtpReplyError {
    return new SmtpReplyError('ENCRYPTION_REQUIRED', 538, '5.7.11', 'Encryption required for requested authentication mechanism', {
      command: 'AUTH',
    });
  },
  /** RFC 5321 §4.2.2 553 "mailbox name not allowed"; RFC 3463 X.1.3 (recipient) / X.1.7 (sender). */
  addressInvalid(role: 'sender' | 'recipient' = 'recipient'): SmtpReplyError {
    return role === 'sender'
      ? new SmtpReplyError('ADDRESS_INVALID', 553, '5.1.7', 'Bad sender mailbox address syntax', { command: 'MAIL FROM' })
      : new SmtpReplyError('ADDRESS_INVALID', 553, '5.1.3', 'Bad destination mailbox address syntax', { command: 'RCPT TO' });
  },
  /**
   * A recipient on a suppression list (PowerMTA guide §10.16: `550 5.7.1 recipient is in suppression list
   * "NAME": <ADDRESS>`), or in the tenant's suppression store. RFC 3463 X.7.1: delivery not authorized.
   */
  recipientSuppressed(address: string, list?: string, reason?: string): SmtpReplyError {
    const text = list !== undefined
      ? `recipient is in suppression list "${quoteValue(list)}": <${quoteValue(address)}>`
      : `recipient is suppressed${reason ? ` (${quoteValue(reason)})` : ''}: <${quoteValue(address)}>`;
    return new SmtpReplyError('RECIPIENT_SUPPRESSED', 550, '5.7.1', text, { command: 'RCPT TO' });
  },
  /** 501: the command's argument could not be parsed at all (RFC 5321 §4.2.2). */
  addressSyntax(role: 'sender' | 'recipient' = 'recipient'): SmtpReplyError {
    return role === 'sender'
      ? new SmtpReplyError('ADDRESS_SYNTAX', 501, '5.1.7', 'Bad sender address syntax', { command: 'MAIL FROM' })
      : new SmtpReplyError('ADDRESS_SYNTAX', 501, '5.1.3', 'Bad recipient address syntax', { command: 'RCPT TO' });
  },
} as const;
