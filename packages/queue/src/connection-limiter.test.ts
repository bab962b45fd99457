import { Redis } from 'ioredis';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionLimiter, type ConnectionScope } from './index.js';

describe('cluster-wide connection limits (max-smtp-out)', () => {
  let t: TestRedis;
  let a: Redis;
  let b: Redis;
  let la: ConnectionLimiter;
  let lb: ConnectionLimiter;
  const now = 1_000_000;
  beforeAll(async () => {
    t = await getTestRedis();
    a = new Redis(t.url);
    b = new Redis(t.url);
    la = new ConnectionLimiter(a, t.prefix.slice(0, -1));
    lb = new ConnectionLimiter(b, t.prefix.slice(0, -1));
  });
  afterAll(async () => {
    await t.cleanup();
    a.disconnect();
    b.disconnect();
  });

  it('grants exactly the limit when two processes race 50 acquires for 3 slots', async () => {
    const scope: ConnectionScope = { kind: 'vmta', vmta: 'race' };
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? la : lb).acquire(scope, `h${i}`, 3, 60_000, now)),
    );
    expect(results.filter(Boolean)).toHaveLength(3);
    expect(await la.count(scope, now)).toBe(3);
  });

  it('shares one count among all queues of a VMTA and keeps queues apart', async () => {
    const vmta: ConnectionScope = { kind: 'vmta', vmta: 'mta1' };
    expect(await la.acquire(vmta, 'gmail.com/mta1#0', 2, 60_000, now)).toBe(true);
    expect(await lb.acquire(vmta, 'yahoo.com/mta1#0', 2, 60_000, now)).toBe(true);
    expect(await la.acquire(vmta, 'aol.com/mta1#0', 2, 60_000, now)).toBe(false);
    expect(await la.acquire({ kind: 'vmta', vmta: 'mta2' }, 'aol.com/mta2#0', 2, 60_000, now)).toBe(true);
    expect(await la.acquire({ kind: 'queue', queue: 'aol.com/mta1' }, 'x', 1, 60_000, now)).toBe(true);
    expect(await la.count(vmta, now)).toBe(2);
  });

  it('frees a slot on release, and release of a slot not held says false', async () => {
    const scope: ConnectionScope = { kind: 'queue', queue: 'rel.example/mta1' };
    expect(await la.acquire(scope, 'p1', 1, 60_000, now)).toBe(true);
    expect(await lb.acquire(scope, 'p2', 1, 60_000, now)).toBe(false);
    expect(await la.release(scope, 'p1')).toBe(true);
    expect(await la.release(scope, 'p1')).toBe(false);
    expect(await lb.acquire(scope, 'p2', 1, 60_000, now)).toBe(true);
    expect(await lb.count(scope, now)).toBe(1);
  });

  it('gives the slots of a dead holder back once its lease has expired', async () => {
    const scope: ConnectionScope = { kind: 'vmta', vmta: 'lease' };
    expect(await la.acquire(scope, 'dead', 1, 10_000, now)).toBe(true);
    expect(await lb.acquire(scope, 'alive', 1, 10_000, now + 9_999)).toBe(false);
    expect(await la.count(scope, now + 9_999)).toBe(1);
    expect(await la.count(scope, now + 10_000)).toBe(0);
    expect(await lb.acquire(scope, 'alive', 1, 10_000, now + 10_000)).toBe(true);
    expect(await la.renew(scope, 'dead', 10_000, now + 10_001)).toBe(false);
  });

  it('keeps a renewed lease past its first expiry', async () => {
    const scope: ConnectionScope = { kind: 'vmta', vmta: 'renew' };
    expect(await la.acquire(scope, 'h', 1, 10_000, now)).toBe(true);
    expect(await la.renew(scope, 'h', 10_000, now + 8_000)).toBe(true);
    expect(await lb.acquire(scope, 'other', 1, 10_000, now + 15_000)).toBe(false);
    expect(await lb.acquire(scope, 'other', 1, 10_000, now + 18_000)).toBe(true);
  });

  it('treats a repeated acquire by the same holder as a renewal, not a second slot', async () => {
    const scope: ConnectionScope = { kind: 'vmta', vmta: 'idem' };
    expect(await la.acquire(scope, 'h', 2, 10_000, now)).toBe(true);
    expect(await la.acquire(scope, 'h', 2, 10_000, now + 5_000)).toBe(true);
    expect(await la.count(scope, now + 12_000)).toBe(1);
    expect(await lb.acquire(scope, 'g', 2, 10_000, now)).toBe(true);
    expect(await lb.acquire(scope, 'k', 2, 10_000, now)).toBe(false);
  });

  it.each([
    ['no connection for a limit of 0', 0, [false, false]],
    ['no cap for an infinite limit', Infinity, [true, true]],
  ] as const)('allows %s', async (_name, limit, expected) => {
    const scope: ConnectionScope = { kind: 'vmta', vmta: `limit-${String(limit)}` };
    const got = [await la.acquire(scope, 'h1', limit, 1_000, now), await la.acquire(scope, 'h2', limit, 1_000, now)];
    expect(got).toEqual(expected);
  });

  // After a reconnect (maybe a failover that lost the lease): kept, re-added into a free slot, or lost.
  it.each([
    ['keeps a lease still there, renewed', ['me'], 1, 'kept'],
    ['keeps a lease still there when the limit is now below the holders', ['me', 'x'], 1, 'kept'],
    ['re-adds a missing lease into a free slot', ['x'], 2, 're-added'],
    ['re-adds a missing lease without a cap', ['x', 'y'], Infinity, 're-added'],
    ['finds a missing lease lost when every slot is held by others', ['x'], 1, 'lost'],
    ['finds a missing lease lost with a limit of 0', [], 0, 'lost'],
  ] as const)('re-assertion %s', async (name, holders, limit, expected) => {
    const scope: ConnectionScope = { kind: 'vmta', vmta: `reassert-${name}` };
    for (const h of holders) expect(await lb.acquire(scope, h, Infinity, 10_000, now)).toBe(true);
    expect(await la.reassert(scope, 'me', limit, 10_000, now + 5_000)).toBe(expected);
    const mine = await a.zscore(la.keys.vmtaConnections(scope.vmta), 'me');
    expect(mine === null ? 'lost' : Number(mine)).toBe(expected === 'lost' ? 'lost' : now + 15_000);
    expect(await la.count(scope, now + 5_000)).toBe(holders.filter((h) => h !== 'me').length + (expected === 'lost' ? 0 : 1));
  });

  it('rejects a lease that is not positive', async () => {
    await expect(la.acquire({ kind: 'vmta', vmta: 'x' }, 'h', 1, 0, now)).rejects.toThrow(RangeError);
  });

  it('sets a TTL so the key of an abandoned scope disappears', async () => {
    const scope: ConnectionScope = { kind: 'vmta', vmta: 'ttl' };
    await la.acquire(scope, 'h', 1, 30_000, Date.now());
    const ttl = await a.pttl(la.keys.vmtaConnections('ttl'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });

  describe('queue-priority: a full VMTA gives a freed slot to the highest-priority waiter', () => {
    const wait = (priority: number) => ({ priority, waitMs: 6_000 });
    const LEASE = 60_000;

    it('a lower priority waits while a higher one waits; then takes its turn', async () => {
      const vmta: ConnectionScope = { kind: 'vmta', vmta: 'prio' };
      expect(await la.acquire(vmta, 'busy#0', 1, LEASE, now, wait(50))).toBe(true);
      // both refused while the slot is held: both now wait
      expect(await la.acquire(vmta, 'low.test/prio#0', 1, LEASE, now, wait(10))).toBe(false);
      expect(await lb.acquire(vmta, 'high.test/prio#0', 1, LEASE, now, wait(90))).toBe(false);
      await la.release(vmta, 'busy#0');
      // the slot is free, but a higher priority waits: the low one asks first and is refused
      expect(await la.acquire(vmta, 'low.test/prio#0', 1, LEASE, now + 1, wait(10))).toBe(false);
      expect(await lb.acquire(vmta, 'high.test/prio#0', 1, LEASE, now + 1, wait(90))).toBe(true);
      await lb.release(vmta, 'high.test/prio#0');
      expect(await la.acquire(vmta, 'low.test/prio#0', 1, LEASE, now + 2, wait(10))).toBe(true);
    });

    it('a waiter that stopped asking stops counting after its wait', async () => {
      const vmta: ConnectionScope = { kind: 'vmta', vmta: 'prio-gone' };
      expect(await la.acquire(vmta, 'busy#0', 1, LEASE, now, wait(50))).toBe(true);
      expect(await lb.acquire(vmta, 'high.test/x#0', 1, LEASE, now, wait(90))).toBe(false);
      await la.release(vmta, 'busy#0');
      expect(await la.acquire(vmta, 'low.test/x#0', 1, LEASE, now + 5_999, wait(10))).toBe(false);
      expect(await la.acquire(vmta, 'low.test/x#0', 1, LEASE, now + 6_000, wait(10))).toBe(true);
    });

    it('free slots beyond the higher waiters go to lower priorities; equal priorities are first come, first served', async () => {
      const vmta: ConnectionScope = { kind: 'vmta', vmta: 'prio-spare' };
      expect(await la.acquire(vmta, 'busy#0', 2, LEASE, now, wait(50))).toBe(true);
      expect(await la.acquire(vmta, 'busy#1', 2, LEASE, now, wait(50))).toBe(true);
      expect(await lb.acquire(vmta, 'high.test/y#0', 2, LEASE, now, wait(90))).toBe(false);
      await la.release(vmta, 'busy#0');
      await la.release(vmta, 'busy#1');
      // two free, one higher waiter: one of them is the low one's
      expect(await la.acquire(vmta, 'low.test/y#0', 2, LEASE, now + 1, wait(10))).toBe(true);
      expect(await la.acquire(vmta, 'low.test/y#1', 2, LEASE, now + 1, wait(10))).toBe(false);
      expect(await lb.acquire(vmta, 'high.test/y#0', 2, LEASE, now + 1, wait(90))).toBe(true);
      const same: ConnectionScope = { kind: 'vmta', vmta: 'prio-same' };
      expect(await la.acquire(same, 'a#0', 1, LEASE, now, wait(50))).toBe(true);
      expect(await lb.acquire(same, 'b#0', 1, LEASE, now, wait(50))).toBe(false);
      await la.release(same, 'a#0');
      expect(await la.acquire(same, 'c#0', 1, LEASE, now + 1, wait(50))).toBe(true);
    });
  });
});
