/** GET /events over a real HTTP server and Redis: access level, paging with the cursor, type filter, long poll, bad queries. */
import { loadConfigText } from '@vmta/config';
import { createRedis, Keys } from '@vmta/queue';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpManagement, type RunningHttpManagement } from './index.js';
import { QueryCountError } from './errors.js';
import { eventsQuery } from './routes/events.js';

describe('eventsQuery', () => {
  it.each([
    ['', { limit: 100 }],
    ['from=1700000000000-0&type=d,b&type=s&limit=5', { from: '1700000000000-0', types: ['d', 'b', 's'], limit: 5 }],
    ['after=1-0&wait=90&limit=5000', { after: '1-0', waitMs: 30_000, limit: 1000 }],
    ['from=2026-12-03T10:00:00Z', { from: '2026-12-03T10:00:00Z', limit: 100 }],
    ['after=18446744073709551615-18446744073709551615', { after: '18446744073709551615-18446744073709551615', limit: 100 }],
  ])('reads %j', (qs, want) => {
    expect(eventsQuery(new URLSearchParams(qs))).toEqual(want);
  });
  it.each([
    ['from=yesterday', /^from: /],
    ['after=abc', /^after: /],
    // Past 64 bits: Redis refuses the id, which was a 500.
    ['after=18446744073709551616-0', /^after: /],
    ['after=0-99999999999999999999', /^after: /],
    ['from=99999999999999999999', /^from: /],
    ['from=99999999999999999999-0', /^from: /],
    ['from=1-0&after=1-0', /not both/],
    ['type=x', /unknown event type x/],
    ['wait=5', /with after/],
  ])('refuses %j', (qs, message) => {
    expect((eventsQuery(new URLSearchParams(qs)) as { error: string }).error).toMatch(message);
  });

  it.each(['limit=-1', 'limit=5&limit=6', 'wait=1.5&after=1-0'])('throws for the bad count in %j (the router answers 400)', (qs) => {
    expect(() => eventsQuery(new URLSearchParams(qs))).toThrow(QueryCountError);
  });
});

describe('GET /events', () => {
  let t: TestRedis;
  let redis: ReturnType<typeof createRedis>;
  let keys: Keys;
  const servers: RunningHttpManagement[] = [];

  async function serve(level: string) {
    const s = await startHttpManagement({ config: loadConfigText(`http-access 127.0.0.1 ${level}`), redisUrl: t.url, prefix: t.prefix.slice(0, -1), port: 0, host: '127.0.0.1' });
    servers.push(s);
    return (p: string) => fetch(`http://127.0.0.1:${s.port}${p}`);
  }
  const add = (type: string, rcpt: string) => redis.xadd(keys.accounting(), '*', 'type', type, 'timeLogged', new Date().toISOString(), 'rcpt', rcpt);

  beforeAll(async () => {
    t = await getTestRedis();
    redis = createRedis(t.url, 'cli');
    keys = new Keys(t.prefix.slice(0, -1));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    redis.disconnect();
    await t.cleanup();
  });

  it('answers 400, not 500, for a stream id past 64 bits, and reads a date before 1970 from the start', async () => {
    const operator = await serve('operator');
    await add('d', 'old@ev.example');
    for (const q of ['after=99999999999999999999-0', 'from=99999999999999999999', 'from=0-18446744073709551616']) {
      const res = await operator(`/events?${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: string }).error, q).toBe('bad-request');
    }
    const early = await operator('/events?from=1900-01-01');
    expect(early.status).toBe(200);
    expect(((await early.json()) as { events: Array<{ recipient: string }> }).events.map((e) => e.recipient)).toContain('old@ev.example');
  });

  it('serves events as JSON to an operator only, pages with the cursor and filters by type', async () => {
    const operator = await serve('operator');
    const monitor = await serve('monitor');
    const first = await add('d', 'a@ev.example');
    await add('b', 'b@ev.example');
    await add('s', 'c@ev.example');
    expect((await monitor('/events')).status).toBe(403);
    const all = (await (await operator(`/events?from=${first}&limit=2`)).json()) as { events: Array<{ id: string; type: string; recipient: string }>; cursor: string };
    expect(all.events.map((e) => [e.type, e.recipient])).toEqual([['d', 'a@ev.example'], ['b', 'b@ev.example']]);
    const next = (await (await operator(`/events?after=${all.cursor}`)).json()) as { events: Array<{ type: string }> };
    expect(next.events.map((e) => e.type)).toEqual(['s']);
    const only = (await (await operator(`/events?from=${first}&type=b,s`)).json()) as { events: Array<{ type: string }> };
    expect(only.events.map((e) => e.type)).toEqual(['b', 's']);
    const bad = await operator('/events?type=zz');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/unknown event type zz/);
  });

  it('waits with after and wait for the next event of the wanted type, and answers an empty page when none comes', async () => {
    const operator = await serve('operator');
    const cursor = ((await (await operator('/events?limit=1')).json()) as { cursor: string }).cursor;
    const empty = (await (await operator(`/events?after=${cursor}&wait=1`)).json()) as { events: unknown[]; cursor: string };
    expect(empty).toEqual({ events: [], cursor });
    const waiting = operator(`/events?after=${cursor}&type=b&wait=20`);
    await new Promise((r) => setTimeout(r, 300));
    await add('d', 'skip@ev.example');
    await add('b', 'wanted@ev.example');
    const page = (await (await waiting).json()) as { events: Array<{ type: string; recipient: string }> };
    expect(page.events.map((e) => [e.type, e.recipient])).toEqual([['b', 'wanted@ev.example']]);
  });
});
