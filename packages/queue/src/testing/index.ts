/**
 * Test helpers of the queue package, exported as `@vmta/queue/testing` (tests only; the layering
 * check refuses them in production code): a message to enqueue, and a Redis with a MessageStore
 * and QueueOps on a key prefix of their own.
 */
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { Redis } from 'ioredis';
import { MessageStore } from '../message-store.js';
import { deliveryRecord } from '../accounting-records.js';
import type { NewMessage, RecipientRecord, StoredMessage } from '../message.js';
import { QueueOps, type OutcomeBatch } from '../queue-ops.js';

/** A small message of VMTA mta1 to these recipients (one address or several). */
export function testMessage(recipients: string | readonly string[], over: Partial<NewMessage> = {}): NewMessage {
  const list = typeof recipients === 'string' ? [recipients] : recipients;
  return {
    mailFrom: 'sender@example.org',
    recipients: list.map((address) => ({ address, domain: address.split('@')[1]! })),
    body: Buffer.from('Subject: t\r\n\r\nhello\r\n'),
    vmta: 'mta1',
    source: { ip: '127.0.0.9', listener: '127.0.0.1:2525' },
    receivedAt: Date.now(),
    ...over,
  };
}

/** What delivery records for these recipients of one queue: their new states (attempts + 1) and one accounting record each. */
export function testOutcomes(msg: StoredMessage, queue: string, states: RecipientRecord['state'][], notBefore?: number): OutcomeBatch {
  const mine = msg.recipients.filter((r) => r.queue === queue);
  const outcome = { delivered: 'delivered', bounced: 'bounced', queued: 'deferred' } as const;
  return {
    id: msg.id,
    queue,
    slot: 0,
    recipients: mine.map((r, i) => ({ ...r, state: states[i]!, attempts: r.attempts + 1 })),
    ...(notBefore === undefined ? {} : { notBefore }),
    accounting: mine.map((r, i) => deliveryRecord(msg, r, { outcome: outcome[states[i]!], dsnStatus: '2.0.0', dsnDiag: 'reply', queue }, new Date().toISOString())),
    delivered: { vmta: 'mta1', afterMs: 1_000 },
  };
}

export interface QueueTestbed {
  t: TestRedis;
  redis: Redis;
  /** The key prefix without its trailing ':'. */
  prefix: string;
  store: MessageStore;
  ops: QueueOps;
  close(): Promise<void>;
}

/** A test Redis (its own key prefix) with a MessageStore and QueueOps on it; close() when done. */
export async function openQueueTestbed(): Promise<QueueTestbed> {
  const t = await getTestRedis();
  const prefix = t.prefix.slice(0, -1);
  const redis = new Redis(t.url);
  const store = new MessageStore(redis, { prefix });
  const ops = new QueueOps(redis, prefix);
  return {
    t,
    redis,
    prefix,
    store,
    ops,
    async close() {
      await store.dispatcher.close();
      await t.cleanup();
      redis.disconnect();
    },
  };
}

type Hook = (fn: () => Promise<void>) => void;

/**
 * One testbed for the tests of a describe block (or file): opened in `beforeAll`, closed in
 * `afterAll` (vitest's, handed in). Read its fields inside the tests, not before they run.
 */
export function sharedQueueTestbed(beforeAll: Hook, afterAll: Hook): QueueTestbed {
  let bed: QueueTestbed | undefined;
  beforeAll(async () => {
    bed = await openQueueTestbed();
  });
  afterAll(async () => {
    await bed?.close();
  });
  const open = (): QueueTestbed => {
    if (!bed) throw new Error('sharedQueueTestbed: the testbed opens in beforeAll; read it inside a test');
    return bed;
  };
  return {
    get t() {
      return open().t;
    },
    get redis() {
      return open().redis;
    },
    get prefix() {
      return open().prefix;
    },
    get store() {
      return open().store;
    },
    get ops() {
      return open().ops;
    },
    close: () => open().close(),
  };
}
