import { Redis } from 'ioredis';
import { loadConfigText } from '@vmta/config';
import {
  ConnectionLimiter,
  epochMinute,
  Keys,
  listProcesses,
  MessageStore,
  MINUTE_COUNTERS_TTL_SECONDS,
  QueueOps,
  registerProcess,
  type NewMessage,
  type RecipientRecord,
} from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../cluster.js';
import { clusterHistory, clusterStatus, deliveryRunning, minuteRates } from './cluster-view.js';
import { vmtaDefinitions, vmtaRows } from './vmta-view.js';

const M = 28_333_333; // an epoch minute
const at = (minute: number, second = 0) => minute * 60_000 + second * 1000;

const message = (recipients: string[], receivedAt: number, vmta = 'mta1'): NewMessage => testMessage(recipients, { receivedAt, vmta });

const zero = { received: 0, delivered: 0, bounced: 0, deferred: 0 };

describe('per-minute rates from a history', () => {
  const h = (received: number) => ({ ...zero, received });
  it.each([
    ['nothing', [], 0, 0],
    ['only the current minute', [h(7)], 0, 0],
    ['the last complete minute, not the current one', [h(1), h(2), h(3), h(100)], 3, 2],
    ['the mean of the last five complete minutes', [h(50), h(1), h(2), h(3), h(4), h(5), h(100)], 5, 3],
    ['a fractional mean, rounded to hundredths', [h(1), h(0), h(0), h(0), h(0), h(9)], 0, 0.2],
  ])('%s', (_name, history, perMinute, perMinute5) => {
    const rates = minuteRates(history);
    expect(rates.perMinute.received).toBe(perMinute);
    expect(rates.perMinute5.received).toBe(perMinute5);
  });
});

describe('VMTA definitions from the configuration', () => {
  it('lists VMTAs with their source hosts (host-name overriding the EHLO name), then pools with their members', () => {
    const config = loadConfigText(
      [
        '<virtual-mta mta1>',
        '  smtp-source-host 192.0.2.10 mta1.example.com',
        '</virtual-mta>',
        '<virtual-mta MTA2>',
        '  smtp-source-host 192.0.2.11 x.example.com',
        '  host-name mta2.example.com',
        '</virtual-mta>',
        '<virtual-mta-pool pool1>',
        '  virtual-mta mta1',
        '  virtual-mta mta2',
        '</virtual-mta-pool>',
      ].join('\n'),
    );
    expect(vmtaDefinitions(config)).toEqual([
      { name: 'mta1', kind: 'vmta', members: [], sourceHosts: ['192.0.2.10 mta1.example.com'] },
      { name: 'MTA2', kind: 'vmta', members: [], sourceHosts: ['192.0.2.11 mta2.example.com'] },
      {
        name: 'pool1',
        kind: 'pool',
        members: ['mta1', 'mta2'],
        sourceHosts: [
          '192.0.2.10 mta1.example.com',
          '192.0.2.11 mta2.example.com',
        ],
      },
    ]);
  });
});

describe('cluster view from Redis', () => {
  let t: TestRedis;
  let redis: Redis;
  let store: MessageStore;
  let ops: QueueOps;
  let keys: Keys;
  let cluster: Cluster;
  let prefix: string;

  beforeAll(async () => {
    t = await getTestRedis();
    prefix = t.prefix.slice(0, -1);
    redis = new Redis(t.url);
    store = new MessageStore(redis, { prefix });
    ops = new QueueOps(redis, prefix);
    keys = new Keys(prefix);
    cluster = new Cluster(redis, prefix);
  });
  afterAll(async () => {
    await cluster.close();
    await store.dispatcher.close();
    await t.cleanup();
    redis.disconnect();
  });

  async function deliverAll(id: string, queue: string, states: RecipientRecord['state'][], now: number) {
    const m = (await store.get(id))!;
    await ops.claimIds(queue, 0, [id]);
    const recipients = m.recipients.filter((r) => r.queue === queue).map((r, i) => ({ ...r, state: states[i]!, attempts: r.attempts + 1 }));
    return ops.recordOutcomes({ id, queue, slot: 0, recipients, ...(states.includes('queued') ? { notBefore: now + 60_000 } : {}) }, now);
  }

  it('counts recipients in the minute they were received and finished, with zeros for quiet minutes', async () => {
    const a = await store.enqueue(message(['a@hist.example', 'b@hist.example', 'c@hist.example'], at(M, 5)));
    await store.enqueue(message(['d@hist.example'], at(M, 59)));
    await deliverAll(a.id, 'hist.example/mta1', ['delivered', 'bounced', 'queued'], at(M + 2, 30));
    const history = await clusterHistory(cluster, 5, at(M + 3, 10));
    expect(history).toEqual([
      { t: at(M - 1), ...zero },
      { t: at(M), ...zero, received: 4 },
      { t: at(M + 1), ...zero },
      { t: at(M + 2), ...zero, delivered: 1, bounced: 1, deferred: 1 },
      { t: at(M + 3), ...zero },
    ]);
    const ttl = await redis.ttl(keys.minuteCounters(M + 2));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(MINUTE_COUNTERS_TTL_SECONDS);
  });

  it('counts nothing for a finish of a message that is already gone, like the totals', async () => {
    const before = await redis.hgetall(keys.totals());
    const gone = await store.enqueue(message(['x@gone.example'], at(M + 10)));
    await deliverAll(gone.id, 'gone.example/mta1', ['delivered'], at(M + 11));
    const late = { id: gone.id, queue: 'gone.example/mta1', slot: 0, recipients: [{ address: 'x@gone.example', domain: 'gone.example', index: 0, queue: 'gone.example/mta1', state: 'delivered' as const, attempts: 1 }] };
    expect(await ops.recordOutcomes(late, at(M + 12))).toBe(-1);
    expect(await redis.exists(keys.minuteCounters(M + 12))).toBe(0);
    expect(Number((await redis.hgetall(keys.totals())).delivered)).toBe(Number(before.delivered ?? 0) + 1);
  });

  it('answers an empty history for zero minutes and the minute of a time', async () => {
    expect(await clusterHistory(cluster, 0, at(M))).toEqual([]);
    expect(epochMinute(at(M, 59) + 999)).toBe(M);
  });

  it.each<[string, Array<{ role: 'all' | 'listener' | 'delivery'; alive: boolean }>, boolean]>([
    ['no process', [], false],
    ['only a listener', [{ role: 'listener', alive: true }], false],
    ['a delivery process that stopped answering', [{ role: 'delivery', alive: false }], false],
    ['an alive delivery process', [{ role: 'listener', alive: true }, { role: 'delivery', alive: true }], true],
    ['an alive process of every role', [{ role: 'all', alive: true }], true],
  ])('tells whether a process delivers now: %s', async (_name, procs, expected) => {
    const own = new Cluster(redis, `${prefix}:running-${_name.replace(/\W+/g, '-')}`);
    const regs = await Promise.all(
      procs.map((p, i) => registerProcess(redis, { role: p.role, host: 'h', pid: i, vmtas: [], listeners: [] }, { prefix: own.keys.prefix, ...(p.alive ? {} : { now: () => Date.now() - 600_000 + 1000 }) })),
    );
    for (const r of regs) r.stop();
    expect(await deliveryRunning(own)).toBe(expected);
    for (const r of regs) await r.deregister();
  });

  it('sums up status: queues, totals, rates of the last complete minutes and the processes', async () => {
    const now = at(M + 12, 30);
    const reg = await registerProcess(redis, { role: 'delivery', host: 'h1', pid: 7, vmtas: ['mta1'], listeners: [] }, { prefix, now: () => now - 60_000 });
    reg.stop();
    const status = await clusterStatus(cluster, now);
    expect(status.queues).toBe(2);
    expect(status.totals).toEqual({ received: 5, delivered: 2, bounced: 1, deferred: 1 });
    expect(status.perMinute).toEqual({ ...zero, delivered: 1 }); // minute M+11
    expect(status.perMinute5).toEqual({ ...zero, received: 0.2, delivered: 0.2 });
    expect(status.processes).toEqual([
      {
        id: reg.id,
        role: 'delivery',
        host: 'h1',
        pid: 7,
        alive: false,
        startedAt: new Date(now - 60_000).toISOString(),
        uptimeSeconds: 0,
        lastSeen: new Date(now - 60_000).toISOString(),
        vmtas: ['mta1'],
        listeners: [],
      },
    ]);
    // Not alive, and its record does not say it reads zstd: nothing to read zstd bodies now.
    expect(status.zstdReaders).toEqual({ allowed: false, notReading: [] });
    await reg.deregister();
  });

  it('sums queues, recipients, in-flight mail and live connections per VMTA and pool, with the alive processes serving them', async () => {
    const now = Date.now();
    await store.enqueue(message(['a@v1.example', 'b@v1.example'], now, 'mta1'));
    const held = await store.enqueue(message(['c@v2.example'], now, 'mta1'));
    await ops.claimIds('v2.example/mta1', 0, [held.id]);
    await store.enqueue(message(['d@v3.example'], now, 'mta2'));
    await store.enqueue(message(['e@v4.example'], now, 'old9'));
    const limiter = new ConnectionLimiter(redis, prefix);
    await limiter.acquire({ kind: 'vmta', vmta: 'mta1' }, 'h:1:a', Infinity, 60_000, now);
    await limiter.acquire({ kind: 'vmta', vmta: 'mta1' }, 'h:1:b', Infinity, 60_000, now);
    await limiter.acquire({ kind: 'vmta', vmta: 'mta2' }, 'h:1:c', Infinity, 1, now - 10); // expired lease
    const serving = await registerProcess(redis, { role: 'delivery', host: 'h', pid: 1, vmtas: ['mta1'], listeners: [] }, { prefix });
    const dead = await registerProcess(redis, { role: 'delivery', host: 'h', pid: 2, vmtas: ['mta2'], listeners: [] }, { prefix, now: () => now - 600_000 + 1000 });
    serving.stop();
    dead.stop();
    const definitions = [
      { name: 'mta1', kind: 'vmta' as const, members: [], sourceHosts: ['127.0.0.2 a.example'] },
      { name: 'mta2', kind: 'vmta' as const, members: [], sourceHosts: [] },
      { name: 'idle', kind: 'vmta' as const, members: [], sourceHosts: [] },
      { name: 'pool1', kind: 'pool' as const, members: ['mta1', 'MTA2'], sourceHosts: [] },
    ];
    const rows = await vmtaRows(cluster, definitions, await listProcesses(redis, keys, { now }), now);
    const row = (name: string) => rows.find((r) => r.name === name)!;
    expect(rows.map((r) => r.name)).toEqual(['mta1', 'mta2', 'idle', 'pool1', 'old9']);
    // mta1 also holds the earlier tests' mail: hist.example (2 recipients left), v1 (2), v2 (1, held by a connection).
    expect(row('mta1')).toMatchObject({ queues: 3, queued: 5, inflight: 1, connectionsOut: 2, servedBy: [serving.id], sourceHosts: ['127.0.0.2 a.example'] });
    expect(row('mta2')).toMatchObject({ queues: 1, queued: 1, inflight: 0, connectionsOut: 0, servedBy: [] });
    expect(row('idle')).toMatchObject({ queues: 0, queued: 0, inflight: 0, connectionsOut: 0, servedBy: [] });
    expect(row('pool1')).toMatchObject({ kind: 'pool', members: ['mta1', 'MTA2'], queues: 4, queued: 6, inflight: 1, connectionsOut: 2, servedBy: [serving.id] });
    expect(row('old9')).toMatchObject({ kind: 'vmta', sourceHosts: [], queues: 1, queued: 1 });
    await serving.deregister();
    await dead.deregister();
  });
});
