/**
 * Sends delivery status notifications: builds the DSN for a message's failed or delayed
 * recipients and queues it, from the null sender, to the original envelope sender.
 */
import { newMessageId, type MessageStore, type StoredMessage } from '@vmta/queue';
import { buildBackoffNotice, type BackoffNotice } from './backoff-notice.js';
import { buildDsn, type DsnRecipient } from './build-dsn.js';
import type { DsnAction } from './notify-policy.js';

export interface BounceNotifierOptions {
  /** Our host name: Reporting-MTA, and the domain of the notifications' Message-IDs. */
  reportingMta: string;
  /** The notifications' From address. */
  postmaster: string;
  /** VMTA that sends the notifications; default: the original message's VMTA. */
  vmta?: string;
  /** Cap on the returned original (default 100 KB). */
  maxReturnBytes?: number;
}

export class BounceNotifier {
  constructor(
    private readonly store: MessageStore,
    private readonly options: BounceNotifierOptions,
  ) {}

  /**
   * Queues the notification for these recipients of `message` and returns its queue id; undefined
   * when none is due (null sender, NOTIFY) or the sender has no domain to deliver it to.
   */
  async notify(message: StoredMessage, recipients: readonly DsnRecipient[], action: DsnAction): Promise<string | undefined> {
    const domain = senderDomain(message.mailFrom);
    if (domain === undefined) return undefined;
    const receivedAt = Date.now();
    const id = newMessageId(receivedAt);
    const body = buildDsn({
      message,
      recipients,
      action,
      reportingMta: this.options.reportingMta,
      postmaster: this.options.postmaster,
      now: new Date(receivedAt),
      messageId: `${id}@${this.options.reportingMta}`,
      ...(this.options.maxReturnBytes !== undefined ? { maxReturnBytes: this.options.maxReturnBytes } : {}),
    });
    if (body === undefined) return undefined;
    const { id: queued } = await this.store.enqueue(
      {
        mailFrom: '',
        recipients: [{ address: message.mailFrom, domain }],
        body,
        vmta: this.options.vmta ?? message.vmta,
        source: { ip: '127.0.0.1', listener: 'dsn' },
        receivedAt,
      },
      id,
    );
    return queued;
  }

  /** Queues the backoff-notify notice of a queue's change of mode to `to`, through `vmta`; returns its queue id. */
  async backoffNotice(to: readonly string[], vmta: string, notice: BackoffNotice): Promise<string | undefined> {
    const recipients = to.flatMap((address) => {
      const domain = senderDomain(address);
      return domain === undefined ? [] : [{ address, domain }];
    });
    if (recipients.length === 0) return undefined;
    const receivedAt = Date.now();
    const id = newMessageId(receivedAt);
    const { reportingMta, postmaster } = this.options;
    const body = buildBackoffNotice({ ...notice, to, reportingMta, postmaster, now: new Date(receivedAt), messageId: `${id}@${reportingMta}` });
    const source = { ip: '127.0.0.1', listener: 'backoff-notify' };
    const { id: queued } = await this.store.enqueue({ mailFrom: '', recipients, body, vmta: this.options.vmta ?? vmta, source, receivedAt }, id);
    return queued;
  }
}

/** The domain of an address, lower case, without a trailing dot; undefined when it has none. */
export function senderDomain(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  const domain = at < 0 ? '' : address.slice(at + 1).replace(/\.$/, '').toLowerCase();
  return domain === '' ? undefined : domain;
}
