import { describe, expect, it } from 'vitest';
import { StanzaConsumers, type StanzaChanges } from './stanza-consumers.js';

/** A consumer that writes what happens to it into a shared journal. */
class FakeConsumer {
  closed = false;
  constructor(
    readonly name: string,
    public settings: string,
    private readonly journal: string[],
    private readonly closeError?: Error,
    private readonly closeWait?: Promise<void>,
  ) {
    journal.push(`start ${name}=${settings}`);
  }
  update(settings: string): void {
    this.settings = settings;
    this.journal.push(`update ${this.name}=${settings}`);
  }
  async close(): Promise<void> {
    this.journal.push(`close ${this.name}`);
    await this.closeWait;
    this.closed = true;
    if (this.closeError) throw this.closeError;
  }
}

function runner(failClose: string[] = [], slowClose: Record<string, Promise<void>> = {}) {
  const journal: string[] = [];
  const started = new Map<string, FakeConsumer>();
  const stopFailures: string[] = [];
  const consumers = new StanzaConsumers<string, FakeConsumer>({
    start(name, settings) {
      const c = new FakeConsumer(name, settings, journal, failClose.includes(name) ? new Error(`cannot close ${name}`) : undefined, slowClose[name]);
      started.set(name, c);
      return c;
    },
    stopFailed: (name, err) => stopFailures.push(`${name}: ${(err as Error).message}`),
  });
  return { consumers, journal, started, stopFailures };
}

const stanzas = (o: Record<string, string>) => new Map(Object.entries(o));

describe('StanzaConsumers: one consumer per stanza across reloads', () => {
  const cases: Array<{
    name: string;
    first: Record<string, string>;
    then: Record<string, string>;
    unreadable?: string[];
    changes: StanzaChanges;
    journal: string[];
    running: string[];
  }> = [
    {
      name: 'starts a consumer for an added stanza and leaves the others running',
      first: { a: '1' },
      then: { a: '1', b: '2' },
      changes: { added: ['b'], updated: ['a'], removed: [] },
      journal: ['update a=1', 'start b=2'],
      running: ['a', 'b'],
    },
    {
      name: 'stops the consumer of a removed stanza',
      first: { a: '1', b: '2' },
      then: { b: '2' },
      changes: { added: [], updated: ['b'], removed: ['a'] },
      journal: ['close a', 'update b=2'],
      running: ['b'],
    },
    {
      name: 'hands a changed stanza its new settings without a restart',
      first: { a: '1' },
      then: { a: '9' },
      changes: { added: [], updated: ['a'], removed: [] },
      journal: ['update a=9'],
      running: ['a'],
    },
    {
      name: 'keeps a running consumer as it was when its stanza can no longer be read',
      first: { a: '1', b: '2' },
      then: { b: '2' },
      unreadable: ['a'],
      changes: { added: [], updated: ['b'], removed: [] },
      journal: ['update b=2'],
      running: ['a', 'b'],
    },
    {
      name: 'starts nothing for an unreadable stanza that was not running',
      first: { a: '1' },
      then: { a: '1' },
      unreadable: ['c'],
      changes: { added: [], updated: ['a'], removed: [] },
      journal: ['update a=1'],
      running: ['a'],
    },
    {
      name: 'replaces every stanza at once',
      first: { a: '1', b: '2' },
      then: { c: '3' },
      changes: { added: ['c'], updated: [], removed: ['a', 'b'] },
      journal: ['close a', 'close b', 'start c=3'],
      running: ['c'],
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const { consumers, journal, started } = runner();
      expect(consumers.apply(stanzas(c.first))).toEqual({ added: Object.keys(c.first), updated: [], removed: [] });
      journal.length = 0;
      expect(consumers.apply(stanzas(c.then), new Set(c.unreadable ?? []))).toEqual(c.changes);
      expect(journal).toEqual(c.journal);
      expect(consumers.names().sort()).toEqual(c.running);
      for (const name of c.running) expect(started.get(name)!.closed).toBe(false);
      await consumers.close();
      expect(consumers.names()).toEqual([]);
      for (const consumer of started.values()) expect(consumer.closed).toBe(true);
    });
  }

  it('close waits for consumers still stopping from a reload, and a failed stop is reported, not thrown', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // b's close takes until the gate opens; a's close fails.
    const { consumers, started, stopFailures } = runner(['a'], { b: gate });
    consumers.apply(stanzas({ a: '1', b: '2' }));
    expect(consumers.apply(stanzas({})).removed).toEqual(['a', 'b']);
    expect(consumers.names()).toEqual([]);
    let closed = false;
    const closing = consumers.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(false);
    expect(started.get('b')!.closed).toBe(false);
    release();
    await closing;
    expect(closed).toBe(true);
    expect(started.get('b')!.closed).toBe(true);
    expect(stopFailures).toEqual(['a: cannot close a']);
  });

  it('does nothing on apply after close', async () => {
    const { consumers, journal } = runner();
    consumers.apply(stanzas({ a: '1' }));
    await consumers.close();
    journal.length = 0;
    expect(consumers.apply(stanzas({ a: '2', b: '3' }))).toEqual({ added: [], updated: [], removed: [] });
    expect(journal).toEqual([]);
    expect(consumers.names()).toEqual([]);
  });
});
