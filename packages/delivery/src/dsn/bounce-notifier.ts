/**
 * Sends delivery status notifications: builds the DSN for a message's failed or delayed
 * recipients and queues it, from the null sender, to the original envelope sender.
 */
import { addressDomain, newMessageId, type MessageStore, type StoredMessage } from '@vmta/queue';
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
    const domain = addressDomain(message.mailFrom);
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
}
