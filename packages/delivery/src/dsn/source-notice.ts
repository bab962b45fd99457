/**
 * `disabled-source-ip-notify ADDRESSES`: a short plain-text notice, from the postmaster, to each
 * address when a source IP is disabled for a queue or enabled again. Queued like a DSN (through
 * the message store, on the queue's VMTA), so it is delivered and retried like any mail.
 */
import { newMessageId, type DisabledSource, type MessageStore } from '@vmta/queue';

export interface SourceNotifierOptions {
  /** Our host name: the domain of the notices' Message-IDs. */
  hostName: string;
  postmaster: string;
}

/** The addresses of a `disabled-source-ip-notify` value (comma or space separated). Pure. */
export function noticeAddresses(value: string | undefined): string[] {
  return (value ?? '').split(/[\s,]+/).filter((a) => /^[^@\s]+@[^@\s]+$/.test(a));
}

/** The notice's text, headers included. Pure. */
export function sourceNoticeText(change: 'disabled' | 'enabled', e: DisabledSource, o: SourceNotifierOptions & { to: string[]; now: Date; messageId: string }): string {
  const lines = [
    `From: ${o.postmaster}`,
    `To: ${o.to.join(', ')}`,
    `Subject: source ${e.ip} ${change} for ${e.queue}`,
    `Date: ${o.now.toUTCString()}`,
    `Message-ID: <${o.messageId}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `The source IP ${e.ip} was ${change} for the queue ${e.queue} on ${o.hostName}.`,
    change === 'disabled' ? `Why: ${e.reason}${e.rule ? ` (rule ${e.rule})` : ''}` : 'It is used for delivery again.',
    ...(change === 'disabled' ? [e.until !== undefined ? `Enabled again at ${new Date(e.until).toISOString()}.` : 'It stays disabled until `vmta enable source`.'] : []),
    '',
  ];
  return lines.join('\r\n');
}

export class SourceNotifier {
  constructor(
    private readonly store: MessageStore,
    private readonly options: SourceNotifierOptions,
  ) {}

  /** Queues the notice to the addresses of `notify` (the queue's VMTA sends it); its queue id, or undefined when nobody is to be told. */
  async notify(change: 'disabled' | 'enabled', e: DisabledSource, notify: string | undefined, vmta: string): Promise<string | undefined> {
    const to = noticeAddresses(notify);
    if (to.length === 0) return undefined;
    const receivedAt = Date.now();
    const id = newMessageId(receivedAt);
    const body = Buffer.from(sourceNoticeText(change, e, { ...this.options, to, now: new Date(receivedAt), messageId: `${id}@${this.options.hostName}` }));
    const { id: queued } = await this.store.enqueue(
      {
        mailFrom: '',
        recipients: to.map((address) => ({ address, domain: address.slice(address.lastIndexOf('@') + 1).toLowerCase() })),
        body,
        vmta,
        source: { ip: '127.0.0.1', listener: 'source-notice' },
        receivedAt,
      },
      id,
    );
    return queued;
  }
}
