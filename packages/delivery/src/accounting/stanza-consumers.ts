/**
 * One consumer per config stanza, kept in step with the configuration: the `<acct-file>` writers
 * and the `<webhook>` forwarders of a delivery process. `apply` starts a consumer for a new stanza,
 * hands a running one its (maybe changed) settings and stops the one of a removed stanza without
 * waiting for it; `close` stops them all and waits, also for those still stopping.
 */

/** What the runner needs of a consumer: new settings on a reload, and a stop. */
export interface StanzaConsumer<S> {
  update(settings: S): void;
  close(): Promise<void>;
}

/** The names each `apply` started, updated and stopped. */
export interface StanzaChanges {
  added: string[];
  updated: string[];
  removed: string[];
}

export interface StanzaConsumersOptions<S, C extends StanzaConsumer<S>> {
  /** A consumer for a stanza that is not running yet. */
  start(name: string, settings: S): C;
  /** A stopped consumer's close failed (it is dropped all the same). */
  stopFailed(name: string, err: unknown): void;
}

export class StanzaConsumers<S, C extends StanzaConsumer<S>> {
  private readonly running = new Map<string, C>();
  private readonly stopping = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: StanzaConsumersOptions<S, C>) {}

  /**
   * Brings the running consumers to `wanted` (name → settings). `unreadable`: stanzas still in the
   * config whose settings could not be read; a running consumer of one is left as it was. After
   * `close`, nothing happens.
   */
  apply(wanted: ReadonlyMap<string, S>, unreadable: ReadonlySet<string> = new Set()): StanzaChanges {
    const changes: StanzaChanges = { added: [], updated: [], removed: [] };
    if (this.closed) return changes;
    for (const [name, consumer] of this.running) {
      if (wanted.has(name) || unreadable.has(name)) continue;
      this.running.delete(name);
      const stop = consumer.close().catch((err: unknown) => this.options.stopFailed(name, err));
      this.stopping.add(stop);
      void stop.finally(() => this.stopping.delete(stop));
      changes.removed.push(name);
    }
    for (const [name, settings] of wanted) {
      const existing = this.running.get(name);
      if (existing !== undefined) {
        existing.update(settings);
        changes.updated.push(name);
      } else {
        this.running.set(name, this.options.start(name, settings));
        changes.added.push(name);
      }
    }
    return changes;
  }

  /** Names of the running consumers. */
  names(): string[] {
    return [...this.running.keys()];
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all([...all.map((c) => c.close()), ...this.stopping]);
  }
}
