import { Redis } from 'ioredis';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryRateLimiter, type DeliveryRate, type DeliveryRateKey } from './index.js';

describe('cluster-wide delivery rates (max-msg-rate, max-connect-rate)', () => {
  let t: TestRedis;
  let a: Redis;
  let b: Redis;
  let la: DeliveryRateLimiter;
  let lb: DeliveryRateLimiter;
  const t0 = 1_700_000_000_000;
  let n = 0;
  /** A fresh queue per case: tests never share limiter state. */
  const key = (limit: DeliveryRateKey['limit'] = 'max-msg-rate'): DeliveryRateKey => ({ queue: `q${n++}.example/mta1`, limit });

  beforeAll(async () => {
    t = await getTestRedis();
    a = new Redis(t.url);
    b = new Redis(t.url);
    la = new DeliveryRateLimiter(a, t.prefix.slice(0, -1));
    lb = new DeliveryRateLimiter(b, t.prefix.slice(0, -1));
  });
  afterAll(async () => {
    await t.cleanup();
    a.disconnect();
    b.disconnect();
  });

  /** Takes one cell at a time, jumping to retryAtMs when refused, until `until`; returns when cells went. */
  async function drive(k: DeliveryRateKey, rate: DeliveryRate, until: number): Promise<number[]> {
    const sent: number[] = [];
    let now = t0;
    while (now < until) {
      const r = await la.take(k, rate, 1, now);
      if (r.allowed === 1) sent.push(now);
      else {
        expect(r.retryAtMs).toBeGreaterThan(now);
        now = r.retryAtMs!;
      }
    }
    return sent;
  }

  it.each([
    ['10/s', { count: 10, perMs: 1000 }],
    ['3/s (a period that is not a whole number of ms)', { count: 3, perMs: 1000 }],
    ['83/10m', { count: 83, perMs: 600_000 }],
    ['1/h', { count: 1, perMs: 3_600_000 }],
  ] as const)('allows exactly count in every window of the period for %s, spread evenly', async (_n, rate) => {
    const sent = await drive(key(), rate, t0 + 3 * rate.perMs);
    expect(sent.filter((s) => s < t0 + rate.perMs)).toHaveLength(rate.count);
    for (let i = 0; i + rate.count < sent.length; i++) {
      expect(sent[i + rate.count]! - sent[i]!).toBeGreaterThanOrEqual(rate.perMs);
    }
    expect(sent.length).toBeGreaterThanOrEqual(3 * rate.count - 1);
  });

  it('refuses every call between two cells when polled each ms (3/s)', async () => {
    const k = key();
    const allowedAt: number[] = [];
    for (let ms = 0; ms < 1100; ms++) {
      if ((await la.take(k, { count: 3, perMs: 1000 }, 1, t0 + ms)).allowed) allowedAt.push(ms);
    }
    expect(allowedAt).toEqual([0, 334, 668, 1002]);
  });

  it.each([
    // rate, n asked at t0, allowed, retryAtMs - t0
    [{ count: 10, perMs: 1000 }, 3, 1, 100],
    [{ count: 3, perMs: 1000 }, 2, 1, 334],
    [{ count: 83, perMs: 600_000 }, 5, 1, 7229],
    [{ count: 5, perMs: 1000, burst: 5 }, 8, 5, 200],
    [{ count: 5, perMs: 1000, burst: 5 }, 5, 5, undefined],
    [{ count: 4, perMs: 1000, burst: 2 }, 3, 2, 250],
  ])('with %o, take(%i) from idle allows %i and says retry after %s ms', async (rate, asked, allowed, retryIn) => {
    const r = await la.take(key(), rate, asked, t0);
    expect(r).toEqual(retryIn === undefined ? { allowed } : { allowed, retryAtMs: t0 + retryIn });
  });

  it('allows the next cell exactly at retryAtMs and not one ms before', async () => {
    const k = key();
    const rate = { count: 5, perMs: 1000, burst: 5 };
    const first = await la.take(k, rate, 6, t0);
    expect(first).toEqual({ allowed: 5, retryAtMs: t0 + 200 });
    expect(await la.take(k, rate, 1, t0 + 199)).toEqual({ allowed: 0, retryAtMs: t0 + 200 });
    expect(await la.take(k, rate, 1, t0 + 200)).toEqual({ allowed: 1 });
    expect(await la.take(k, rate, 2, t0 + 600)).toEqual({ allowed: 2 });
    expect(await la.take(k, rate, 3, t0 + 600)).toEqual({ allowed: 0, retryAtMs: t0 + 800 });
  });

  it('refills a burst after an idle period, never beyond the burst', async () => {
    const k = key();
    const rate = { count: 5, perMs: 1000, burst: 5 };
    expect((await la.take(k, rate, 5, t0)).allowed).toBe(5);
    expect((await la.take(k, rate, 5, t0 + 400)).allowed).toBe(2);
    expect((await la.take(k, rate, 10, t0 + 60_000)).allowed).toBe(5);
  });

  it('shares one rate between two processes taking concurrently', async () => {
    const k = key();
    const rate = { count: 5, perMs: 1000, burst: 5 };
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? la : lb).take(k, rate, 1, t0)));
    expect(results.reduce((s, r) => s + r.allowed, 0)).toBe(5);
    expect(results.filter((r) => r.allowed === 0).every((r) => r.retryAtMs === t0 + 200)).toBe(true);
  });

  it('keeps max-msg-rate and max-connect-rate of a queue apart', async () => {
    const msg = key('max-msg-rate');
    const connect: DeliveryRateKey = { queue: msg.queue, limit: 'max-connect-rate' };
    const rate = { count: 1, perMs: 60_000 };
    expect((await la.take(msg, rate, 1, t0)).allowed).toBe(1);
    expect((await la.take(connect, rate, 1, t0)).allowed).toBe(1);
    expect((await la.take(msg, rate, 1, t0)).allowed).toBe(0);
  });

  it.each([
    ['unlimited', 'unlimited'],
    ['a count of 0 (treated as unlimited)', { count: 0, perMs: 1000 }],
  ] as const)('lets everything through for %s without touching Redis', async (_n, rate) => {
    const k = key();
    expect(await la.take(k, rate, 1000, t0)).toEqual({ allowed: 1000 });
    expect(await a.exists(la.keys.queueRateLimit(k.queue, k.limit))).toBe(0);
  });

  it('forgets the history on reset', async () => {
    const k = key();
    const rate = { count: 1, perMs: 60_000 };
    await la.take(k, rate, 1, t0);
    await la.reset(k);
    expect((await la.take(k, rate, 1, t0)).allowed).toBe(1);
  });

  it('rejects malformed rates and counts', async () => {
    await expect(la.take(key(), { count: 1.5, perMs: 1000 }, 1, t0)).rejects.toThrow(RangeError);
    await expect(la.take(key(), { count: 1, perMs: 0 }, 1, t0)).rejects.toThrow(RangeError);
    await expect(la.take(key(), { count: 1, perMs: 1000 }, -1, t0)).rejects.toThrow(RangeError);
    expect(await la.take(key(), { count: 1, perMs: 1000 }, 0, t0)).toEqual({ allowed: 0 });
  });
});
