/**
 * The set-up most delivery integration tests share: a test Redis (a key prefix of its own) with a
 * MessageStore and QueueOps on it, real SMTP receivers on loopback, and delivery services started
 * on a config text, all closed together when the test ends. For tests only.
 */
import { Redis } from 'ioredis';
import { loadConfigText, type VmtaConfig } from '@vmta/config';
import { MessageStore, QueueOps, type NewMessage } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { startDelivery, type RunningDelivery, type StartDeliveryOptions } from '../worker/delivery-service.js';
import { startReceiver, startSlowReceiver, type Receiver, type ReceiverOptions } from './test-smtp-receiver.js';

type Closable = { close(): Promise<unknown> };
/** MessageStore options but the prefix (the testbed's). */
export type TestStoreOptions = Omit<NonNullable<ConstructorParameters<typeof MessageStore>[1]>, 'prefix'>;
export type SlowReceiver = Awaited<ReturnType<typeof startSlowReceiver>>;

export interface DeliveryTestbed {
  t: TestRedis;
  redis: Redis;
  /** The key prefix without its trailing ':'. */
  prefix: string;
  store: MessageStore;
  ops: QueueOps;
  /** Another MessageStore on this prefix (other options, e.g. a listener's bounceAfter), closed with the testbed. */
  openStore(options?: TestStoreOptions): MessageStore;
  /** A real SMTP receiver (see startReceiver), closed with the testbed. */
  receiver(options: ReceiverOptions): Promise<Receiver>;
  /** A receiver that answers each message after a delay (see startSlowReceiver), closed with the testbed. */
  slowReceiver(delayMs: number | (() => number), host?: string): Promise<SlowReceiver>;
  /** A delivery service on this Redis and prefix, on a config text (or a loaded config); closed with the testbed. */
  deliver(config: string | VmtaConfig, options?: Omit<StartDeliveryOptions, 'config' | 'redisUrl' | 'prefix'>): Promise<RunningDelivery>;
  /** Something else (a DNS server, ...) to close with the testbed, after the receivers. */
  closeWith<T extends Closable>(thing: T): T;
  /** Closes the deliveries, the stores, the receivers and what closeWith() named, in that order, then deletes the keys. */
  close(): Promise<void>;
}

/** Message number `i`: to r<i>@domain, from s@example.org, subject <i> (what the load tests queue by the hundred). */
export function numberedMessage(i: number, domain: string, receivedAt = Date.now()): NewMessage {
  return testMessage(`r${i}@${domain}`, { mailFrom: 's@example.org', body: Buffer.from(`Subject: ${i}\r\n\r\nbody\r\n`), source: { ip: '127.0.0.9', listener: 'test' }, receivedAt });
}

/** `close()` that runs once however often it is called (a test may close a delivery or receiver itself). */
function closeOnce<T extends Closable>(thing: T): T {
  const close = thing.close.bind(thing);
  let closing: Promise<unknown> | undefined;
  thing.close = () => (closing ??= close());
  return thing;
}

export async function openDeliveryTestbed(options: TestStoreOptions = {}): Promise<DeliveryTestbed> {
  const t = await getTestRedis();
  const redis = new Redis(t.url);
  const prefix = t.prefix.slice(0, -1);
  const deliveries: Closable[] = [];
  const stores: MessageStore[] = [];
  const receivers: Closable[] = [];
  const others: Closable[] = [];
  const openStore = (o: TestStoreOptions = {}): MessageStore => {
    const s = new MessageStore(redis, { ...o, prefix });
    stores.push(s);
    return s;
  };
  const store = openStore(options);
  return {
    t,
    redis,
    prefix,
    store,
    ops: new QueueOps(redis, prefix),
    openStore,
    async receiver(o) {
      const r = closeOnce(await startReceiver(o));
      receivers.push(r);
      return r;
    },
    async slowReceiver(delayMs, host) {
      const r = closeOnce(await startSlowReceiver(delayMs, host));
      receivers.push(r);
      return r;
    },
    async deliver(config, o = {}) {
      const loaded = typeof config === 'string' ? loadConfigText(config) : config;
      const d = closeOnce(await startDelivery({ concurrency: 2, ...o, config: loaded, redisUrl: t.url, prefix }));
      deliveries.push(d);
      return d;
    },
    closeWith(thing) {
      others.push(thing);
      return thing;
    },
    async close() {
      for (const d of deliveries.splice(0)) await d.close();
      for (const s of stores.splice(0)) await s.dispatcher.close();
      for (const r of receivers.splice(0)) await r.close();
      for (const o of others.splice(0)) await o.close();
      await t.cleanup();
      redis.disconnect();
    },
  };
}

/** A testbed per test of a describe block: `afterEach` (vitest's) closes the one a test opened. */
export function deliveryTestbeds(afterEach: (fn: () => Promise<void>) => void): (options?: TestStoreOptions) => Promise<DeliveryTestbed> {
  let bed: DeliveryTestbed | undefined;
  afterEach(async () => {
    await bed?.close();
    bed = undefined;
  });
  return async (options) => (bed = await openDeliveryTestbed(options));
}
