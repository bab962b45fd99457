/**
 * backoff-notify (PowerMTA §3.3.10): the short notice sent to the operator's addresses when a
 * queue enters or leaves backoff mode. Plain text from the postmaster, sent from the null sender
 * (like a DSN: a notice that cannot be delivered bounces to nobody). Pure: builds the message.
 */
import { headerField, rfc5322Date, wrapText } from './dsn-text.js';

export interface BackoffNotice {
  /** The queue, "domain/vmta". */
  queue: string;
  mode: 'backoff' | 'normal';
  /** The reply that changed the mode, when a reply did. */
  reply?: string;
  /** file:line of the rule that matched it. */
  rule?: string;
  /** What else changed it (backoff-to-normal-after, backoff-to-normal-after-delivery). */
  by?: string;
  /** Until when the backoff lasts (backoff-to-normal-after). */
  until?: Date;
}

export interface BackoffNoticeInput extends BackoffNotice {
  to: readonly string[];
  reportingMta: string;
  postmaster: string;
  now: Date;
  messageId: string;
}

export function buildBackoffNotice(n: BackoffNoticeInput): Buffer {
  const what = n.mode === 'backoff' ? 'entered backoff mode' : 'left backoff mode (back to normal)';
  const lines = [
    `The queue ${n.queue} on ${n.reportingMta} ${what} at ${n.now.toISOString()}.`,
    ...(n.reply !== undefined ? [`Reply: ${n.reply}`] : []),
    ...(n.rule !== undefined ? [`Rule: ${n.rule}`] : []),
    ...(n.by !== undefined ? [`By: ${n.by}`] : []),
    ...(n.until !== undefined ? [`Until: ${n.until.toISOString()}`] : []),
  ];
  const id = n.messageId.replace(/^<|>$/g, '');
  const head = [
    headerField('From', `Mail Delivery System <${n.postmaster}>`),
    headerField('To', n.to.join(', ')),
    headerField('Subject', `Queue ${n.queue} ${what}`),
    headerField('Date', rfc5322Date(n.now)),
    headerField('Message-ID', `<${id}>`),
    'Auto-Submitted: auto-generated',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    'Content-Transfer-Encoding: 7bit',
  ];
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${lines.map((l) => wrapText(l)).join('\r\n')}\r\n`, 'latin1');
}
