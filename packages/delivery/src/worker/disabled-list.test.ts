import type { Redis } from 'ioredis';
import { ALL_QUEUES, DisabledSources, type DisabledSource } from '@vmta/queue';
import { openQueueTestbed, type QueueTestbed } from '@vmta/queue/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DisabledList } from './disabled-list.js';

const entry = (ip: string, queue: string, extra: Partial<DisabledSource> = {}): DisabledSource => ({ ip, queue, reason: 'r', rule: '', since: 1, ...extra });

/** The real store, counting its reads from Redis. */
function counted(store: DisabledSources): { reads: () => number; store: Pick<DisabledSources, 'read' | 'disable'> } {
  let reads = 0;
  return {
    reads: () => reads,
    store: {
      read: (now) => {
        reads++;
        return store.read(now);
      },
      disable: (e) => store.disable(e),
    },
  };
}

describe("a delivery process's copy of the disabled-source list", () => {
  let bed: QueueTestbed;
  let redis: Redis;
  let prefix: string;
  beforeAll(async () => {
    bed = await openQueueTestbed();
    ({ redis, prefix } = bed);
  });
  afterAll(() => bed.close());

  it('reads Redis at most once a second for all runs, and sees an operator disable a second later at the most', async () => {
    const operator = new DisabledSources(redis, `${prefix}a`);
    const c = counted(new DisabledSources(redis, `${prefix}a`));
    const list = new DisabledList(c.store);
    expect((await list.read(10_000)).active).toEqual([]);
    // Runs starting within the second share the copy, concurrent ones the read on the wire.
    await Promise.all([list.read(10_100), list.read(10_500), list.read(10_999)]);
    expect(c.reads()).toBe(1);
    // `vmta sources disable` meanwhile (another process): seen once the copy is a second old.
    await operator.disable(entry('192.0.2.1', ALL_QUEUES));
    expect((await list.read(10_999)).active).toEqual([]);
    expect((await list.read(11_000)).active.map((e) => e.ip)).toEqual(['192.0.2.1']);
    expect(c.reads()).toBe(2);
    const [x, y] = await Promise.all([list.read(12_000), list.read(12_000)]);
    expect(c.reads()).toBe(3);
    expect(x.active).toEqual(y.active);
  });

  it("drops the copy on this process's own disable, and tells a timer that ran out to one run only", async () => {
    const c = counted(new DisabledSources(redis, `${prefix}b`));
    const list = new DisabledList(c.store);
    expect((await list.read(20_000)).active).toEqual([]);
    expect(await list.disable(entry('192.0.2.2', 'q.example/mta1', { until: 20_500 }))).toBe(true);
    expect((await list.read(20_100)).active.map((e) => e.ip)).toEqual(['192.0.2.2']);
    expect(c.reads()).toBe(2);
    // Its timer ran out: the copy (100 ms old) no longer answers; the run whose read finds it re-enables and tells it.
    const done = await list.read(20_600);
    expect(c.reads()).toBe(3);
    expect(done.active).toEqual([]);
    expect(done.reenabled.map((e) => e.ip)).toEqual(['192.0.2.2']);
    await list.disable(entry('192.0.2.2', 'q.example/mta1', { until: 21_100 }));
    // The timer ran out: the run whose read found it re-enables and tells it; a run sharing the read does not.
    const [first, second] = await Promise.all([list.read(21_200), list.read(21_200)]);
    expect(first.reenabled.map((e) => e.ip)).toEqual(['192.0.2.2']);
    expect(second.reenabled).toEqual([]);
    expect(second.active).toEqual([]);
  });
});
