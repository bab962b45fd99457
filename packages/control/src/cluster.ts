/**
 * What every operator action and view works on: the cluster seen through one Redis
 * connection. The caller owns the connection (and disconnects it); `close` ends only
 * what the cluster opened itself.
 */
import { DisabledSources, Dispatcher, Keys, MessageStore, QueueOps } from '@vmta/queue';
import type { Redis } from 'ioredis';

export class Cluster {
  readonly keys: Keys;
  readonly ops: QueueOps;
  /** The cluster-wide list of disabled source IPs. */
  readonly sources: DisabledSources;
  private dispatch: Dispatcher | undefined;
  private messages: MessageStore | undefined;

  constructor(
    readonly redis: Redis,
    prefix?: string,
  ) {
    this.keys = new Keys(prefix);
    this.ops = new QueueOps(redis, this.keys.prefix);
    this.sources = new DisabledSources(redis, this.keys.prefix);
  }

  /** Created on first use: it opens a connection of its own, which views never need. */
  get dispatcher(): Dispatcher {
    this.dispatch ??= new Dispatcher(this.redis, this.keys.prefix);
    return this.dispatch;
  }

  /** Created on first use (the operator's notices are queued through it); its dispatcher is closed with the cluster. */
  get store(): MessageStore {
    this.messages ??= new MessageStore(this.redis, { prefix: this.keys.prefix });
    return this.messages;
  }

  async close(): Promise<void> {
    const dispatch = this.dispatch;
    const messages = this.messages;
    this.dispatch = undefined;
    this.messages = undefined;
    await dispatch?.close();
    await messages?.dispatcher.close();
  }
}
