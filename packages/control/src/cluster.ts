/**
 * What every operator action and view works on: the cluster seen through one Redis
 * connection. The caller owns the connection (and disconnects it); `close` ends only
 * what the cluster opened itself.
 */
import { DisabledSources, Dispatcher, Keys, QueueOps } from '@vmta/queue';
import type { Redis } from 'ioredis';

export class Cluster {
  readonly keys: Keys;
  readonly ops: QueueOps;
  /** The cluster-wide list of disabled source IPs. */
  readonly sources: DisabledSources;
  private dispatch: Dispatcher | undefined;

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

  async close(): Promise<void> {
    const dispatch = this.dispatch;
    this.dispatch = undefined;
    await dispatch?.close();
  }
}
