/**
 * The operator's notices, queued like a DSN (from the null sender, through the message store, on
 * the queue's VMTA) so they are delivered and retried like any mail:
 * - `backoff-notify` (PowerMTA §3.3.10): a queue entered or left backoff mode;
 * - `disabled-source-ip-notify`: a source IP was disabled for a queue or enabled again.
 * Delivery sends them for the changes its own Redis steps made, control for the operator's.
 * The text builders are pure; `Notices` only adds the enqueue.
 */
import { newMessageId } from './message-id.js';
import type { MessageStore } from './message-store.js';
import { ALL_QUEUES, type DisabledSource } from './disabled-sources.js';
import { headerField, rfc5322Date, wrapText } from './notice-text.js';

export interface BackoffNotice {
  /** The queue, "domain/vmta". */
  queue: string;
  mode: 'backoff' | 'normal';
  /** The reply that changed the mode, when a reply did. */
  reply?: string;
  /** file:line of the rule that matched it. */
  rule?: string;
  /** What else changed it (backoff-to-normal-after, backoff-to-normal-after-delivery, operator). */
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

/** The backoff-notify message: plain text from the postmaster. Pure. */
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

/** The addresses of a `disabled-source-ip-notify` value (comma or space separated). Pure. */
export function noticeAddresses(value: string | undefined): string[] {
  return (value ?? '').split(/[\s,]+/).filter((a) => /^[^@\s]+@[^@\s]+$/.test(a));
}

export interface NoticeSender {
  /** Our host name: the domain of the notices' Message-IDs (and Reporting-MTA of backoff notices). */
  hostName: string;
  postmaster: string;
}

/** The disabled-source-ip-notify message, headers included (`*`: every queue). Pure. */
export function sourceNoticeText(change: 'disabled' | 'enabled', e: DisabledSource, o: NoticeSender & { to: readonly string[]; now: Date; messageId: string }): string {
  const which = e.queue === ALL_QUEUES ? 'every queue' : e.queue;
  const lines = [
    `From: ${o.postmaster}`,
    `To: ${o.to.join(', ')}`,
    `Subject: source ${e.ip} ${change} for ${which}`,
    `Date: ${o.now.toUTCString()}`,
    `Message-ID: <${o.messageId}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `The source IP ${e.ip} was ${change} for ${e.queue === ALL_QUEUES ? 'every queue' : `the queue ${e.queue}`} on ${o.hostName}.`,
    change === 'disabled' ? `Why: ${e.reason}${e.rule ? ` (rule ${e.rule})` : ''}` : 'It is used for delivery again.',
    ...(change === 'disabled' ? [e.until !== undefined ? `Enabled again at ${new Date(e.until).toISOString()}.` : 'It stays disabled until `vmta enable source`.'] : []),
    '',
  ];
  return lines.join('\r\n');
}

/** Queues the notices through the message store. */
export class Notices {
  constructor(
    private readonly store: MessageStore,
    private readonly sender: NoticeSender,
  ) {}

  /** The backoff-notify notice of a queue's change of mode to `to`, through `vmta`; its queue id, or undefined when nobody is to be told. */
  async backoff(to: readonly string[], vmta: string, notice: BackoffNotice): Promise<string | undefined> {
    const { hostName: reportingMta, postmaster } = this.sender;
    return this.enqueue(to, vmta, 'backoff-notify', (now, messageId) => buildBackoffNotice({ ...notice, to, reportingMta, postmaster, now, messageId }));
  }

  /** The disabled-source-ip-notify notice (`notify`: the directive's value) through `vmta`; its queue id, or undefined when nobody is to be told. */
  async source(change: 'disabled' | 'enabled', e: DisabledSource, notify: string | undefined, vmta: string): Promise<string | undefined> {
    const to = noticeAddresses(notify);
    return this.enqueue(to, vmta, 'source-notice', (now, messageId) => Buffer.from(sourceNoticeText(change, e, { ...this.sender, to, now, messageId })));
  }

  private async enqueue(to: readonly string[], vmta: string, listener: string, body: (now: Date, messageId: string) => Buffer): Promise<string | undefined> {
    const recipients = to.flatMap((address) => {
      const domain = addressDomain(address);
      return domain === undefined ? [] : [{ address, domain }];
    });
    if (recipients.length === 0) return undefined;
    const receivedAt = Date.now();
    const id = newMessageId(receivedAt);
    const message = { mailFrom: '', recipients, body: body(new Date(receivedAt), `${id}@${this.sender.hostName}`), vmta, source: { ip: '127.0.0.1', listener }, receivedAt };
    return (await this.store.enqueue(message, id)).id;
  }
}

/** The domain of an address, lower case, without a trailing dot; undefined when it has none. Pure. */
export function addressDomain(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  const domain = at < 0 ? '' : address.slice(at + 1).replace(/\.$/, '').toLowerCase();
  return domain === '' ? undefined : domain;
}
