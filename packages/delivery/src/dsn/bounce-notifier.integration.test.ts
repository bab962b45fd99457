import { addressDomain, MessageStore, type NewMessage, type StoredMessage } from '@vmta/queue';
import { openQueueTestbed, type QueueTestbed } from '@vmta/queue/testing';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DsnRecipient } from './build-dsn.js';
import { BounceNotifier } from './bounce-notifier.js';

function original(overrides: Partial<NewMessage> = {}): NewMessage {
  return {
    mailFrom: 'Alice@Example.ORG',
    recipients: [
      { address: 'bob@example.com', domain: 'example.com' },
      { address: 'carol@example.com', domain: 'example.com', notify: ['NEVER'] },
    ],
    body: Buffer.from('From: Alice@Example.ORG\r\nSubject: hello\r\n\r\nsecret body\r\n'),
    vmta: 'mta1',
    envId: 'env-7',
    source: { ip: '192.0.2.7', listener: '0.0.0.0:25' },
    receivedAt: Date.now(),
    ...overrides,
  };
}

function failed(message: StoredMessage): DsnRecipient[] {
  return message.recipients.map((recipient) => ({
    recipient,
    result: { outcome: 'bounced', code: 550, enhancedCode: '5.1.1', response: '550 5.1.1 User unknown', category: 'bad-mailbox' },
    remoteMta: 'mx.example.com',
  }));
}

describe('BounceNotifier', () => {
  let bed: QueueTestbed;
  let store: MessageStore;
  beforeAll(async () => {
    bed = await openQueueTestbed();
    ({ store } = bed);
  });
  afterAll(() => bed.close());

  async function stored(overrides: Partial<NewMessage> = {}): Promise<StoredMessage> {
    const { id } = await store.enqueue(original(overrides));
    const message = await store.get(id);
    expect(message).toBeDefined();
    return message!;
  }

  it('queues the DSN from the null sender to the sender, in the queue of the sender domain', async () => {
    const message = await stored();
    const notifier = new BounceNotifier(store, { reportingMta: 'mta.example.net', postmaster: 'postmaster@mta.example.net' });
    const id = await notifier.notify(message, failed(message), 'failed');
    expect(id).toBeDefined();
    expect(await store.queued('example.org/mta1')).toEqual([id]);
    const dsn = await store.get(id!);
    expect(dsn).toMatchObject({ mailFrom: '', vmta: 'mta1', source: { ip: '127.0.0.1', listener: 'dsn' } });
    expect(dsn?.recipients.map((r) => [r.address, r.domain, r.queue])).toEqual([['Alice@Example.ORG', 'example.org', 'example.org/mta1']]);

    const mail = await simpleParser(dsn!.body, { keepDeliveryStatus: true });
    expect(mail.messageId).toBe(`<${id}@mta.example.net>`);
    expect(mail.subject).toBe('Undelivered Mail Returned to Sender');
    const status = mail.attachments.find((a) => a.contentType === 'message/delivery-status')?.content.toString() ?? '';
    expect(status).toContain('Original-Envelope-Id: env-7');
    expect(status).toContain('Final-Recipient: rfc822; bob@example.com');
    expect(status).not.toContain('carol@example.com');
  });

  it('sends the DSN through the configured VMTA when one is set', async () => {
    const message = await stored();
    const notifier = new BounceNotifier(store, { reportingMta: 'mta.example.net', postmaster: 'postmaster@mta.example.net', vmta: 'bounces' });
    const id = await notifier.notify(message, failed(message), 'failed');
    expect(await store.queued('example.org/bounces')).toEqual([id]);
    expect((await store.get(id!))?.vmta).toBe('bounces');
  });

  it('queues nothing for a message from the null sender or when no NOTIFY asks for it', async () => {
    const notifier = new BounceNotifier(store, { reportingMta: 'mta.example.net', postmaster: 'postmaster@mta.example.net', vmta: 'quiet' });
    const fromNull = await stored({ mailFrom: '' });
    expect(await notifier.notify(fromNull, failed(fromNull), 'failed')).toBeUndefined();
    const plain = await stored();
    expect(await notifier.notify(plain, failed(plain), 'delayed')).toBeUndefined();
    expect((await store.queueNames()).filter((q) => q.endsWith('/quiet'))).toEqual([]);
  });
});

describe('addressDomain', () => {
  it.each([
    ['Alice@Example.ORG', 'example.org'],
    ['"a@b"@Mail.Example.com.', 'mail.example.com'],
    ['postmaster', undefined],
    ['alice@', undefined],
  ])('takes the domain of %j as %j', (address, domain) => {
    expect(addressDomain(address)).toBe(domain);
  });
});
