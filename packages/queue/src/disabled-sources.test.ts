import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedQueueTestbed } from './testing/index.js';
import { ALL_QUEUES, DisabledSources, disabledFor, type DisabledSource } from './disabled-sources.js';

const entry = (ip: string, queue: string, extra: Partial<DisabledSource> = {}): DisabledSource => ({ ip, queue, reason: 'r', rule: '', since: 1, ...extra });

describe('disabledFor', () => {
  it("applies entries for every queue and for this queue only, the queue's own winning", () => {
    const all = entry('192.0.2.1', ALL_QUEUES);
    const own = entry('192.0.2.1', 'a.example/mta1', { reason: 'own' });
    const other = entry('192.0.2.2', 'b.example/mta1');
    expect([...disabledFor([own, all, other], 'a.example/mta1')]).toEqual([['192.0.2.1', own]]);
    expect([...disabledFor([all, other], 'b.example/mta1').keys()].sort()).toEqual(['192.0.2.1', '192.0.2.2']);
  });
});

describe('the disabled-sources list in Redis', () => {
  const bed = sharedQueueTestbed(beforeAll, afterAll);

  it('keeps an entry until enabled, and re-enables a timed one exactly once when its time passed', async () => {
    const a = new DisabledSources(bed.redis, bed.prefix);
    const other = bed.redis.duplicate();
    const b = new DisabledSources(other, bed.prefix);
    expect(await a.disable(entry('192.0.2.1', 'x/m'))).toBe(true);
    expect(await a.disable(entry('192.0.2.1', 'x/m', { reason: 'again' }))).toBe(false);
    await a.disable(entry('192.0.2.2', 'x/m', { until: 1_000 }));
    expect((await a.read(999)).active.map((e) => [e.ip, e.reason])).toEqual([
      ['192.0.2.1', 'again'],
      ['192.0.2.2', 'r'],
    ]);
    // Two processes see the timer run out: one of them re-enables it.
    const [ra, rb] = await Promise.all([a.read(1_000), b.read(1_000)]);
    expect([...ra.reenabled, ...rb.reenabled].map((e) => e.ip)).toEqual(['192.0.2.2']);
    expect(ra.active.map((e) => e.ip)).toEqual(['192.0.2.1']);
    expect(await a.enable('192.0.2.1', 'x/m')).toBe(true);
    expect(await a.enable('192.0.2.1', 'x/m')).toBe(false);
    expect(await a.list(0)).toEqual([]);
    // Enabling for every queue takes all the IP's entries, and only that IP's.
    await a.disable(entry('192.0.2.5', 'x/m'));
    await a.disable(entry('192.0.2.5', ALL_QUEUES));
    await a.disable(entry('192.0.2.50', 'x/m'));
    expect(await a.enable('192.0.2.5', ALL_QUEUES)).toBe(true);
    expect((await a.list(0)).map((e) => e.ip)).toEqual(['192.0.2.50']);
    // A view leaves an expired entry for delivery to re-enable (and tell).
    await a.disable(entry('192.0.2.6', 'x/m', { until: 10 }));
    expect((await a.list(20)).map((e) => e.ip)).toEqual(['192.0.2.50']);
    expect((await a.read(20)).reenabled.map((e) => e.ip)).toEqual(['192.0.2.6']);
    other.disconnect();
  });
});
