import { Redis } from 'ioredis';
import { ConnectionLimiter, createRedis, MessageStore, QueueOps } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';
import { canStartSentinels, startPrivateRedis, startSentinelSet, type SentinelSet } from '@vmta/testing';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { oneSlotConfig } from '../testing/one-slot-config.js';
import { startSlowReceiver } from '../testing/test-smtp-receiver.js';
import { startDelivery, type RunningDelivery } from './delivery-service.js';

/**
 * Issue 18: a VMTA lease lost in a failover (written to the old primary, not replicated) is put
 * back as soon as the delivery process's Redis connection is ready again, not at its next renewal
 * (a third of the lease); when another holder filled the slot in the gap, the connection is cut.
 * The lease here lasts 90 s (renewed every 30 s): every check below is well inside the first third.
 */
const LEASE_MS = 90_000;
const QUICK_MS = 8_000;
const DOMAIN = 'reassert.example';
const message = (i: number) => testMessage(`r${i}@${DOMAIN}`, { body: Buffer.from(`Subject: reassert\r\nX-Seq: ${i}\r\n\r\nhello\r\n`) });

/** The first message is answered after `firstMs` (its session stays open that long), the others at once. */
function receiverSlowFirst(firstMs: number) {
  let first = true;
  return startSlowReceiver(() => (first ? ((first = false), firstMs) : 50));
}

/** Drops every client connection of the server but the caller's: they reconnect, as after a failover. */
const dropClients = (admin: Redis) => admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');

describe('VMTA leases after a Redis reconnect', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  /** A delivery process on `url` with the slow-first receiver; `redis` enqueues and looks. */
  async function startOn(url: string, redis: Redis, prefix: string, firstMs: number) {
    const receiver = await receiverSlowFirst(firstMs);
    cleanups.push(() => receiver.close());
    const store = new MessageStore(redis, { prefix });
    const ops = new QueueOps(redis, prefix);
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const delivery: RunningDelivery = await startDelivery({ config: oneSlotConfig(receiver.port), redisUrl: url, prefix, concurrency: 2, logger, vmtaLeaseMs: LEASE_MS });
    cleanups.push(async () => {
      await delivery.close();
      await store.dispatcher.close();
    });
    return { ops, store, receiver, lines };
  }

  async function setUp(firstMs: number) {
    const server = await startPrivateRedis({ appendOnly: false });
    cleanups.push(() => server.dispose());
    const redis = new Redis(server.url);
    cleanups.push(() => redis.disconnect());
    return { server, redis, ...(await startOn(server.url, redis, 'ra', firstMs)) };
  }

  it('puts back a lease the reconnect found missing, at once, and keeps its connection', { timeout: 90_000 }, async () => {
    const { redis, ops, store, receiver, lines } = await setUp(8_000);
    for (let i = 0; i < 3; i++) await store.enqueue(message(i));
    await expect.poll(() => receiver.open(), { timeout: 20_000, interval: 50 }).toBe(1);
    const leases = ops.keys.vmtaConnections('mta1');
    const [holder] = await redis.zrange(leases, '0', '-1');
    expect(holder).toBeDefined();
    // Lost as in a failover that did not replicate it, then the connection drops and comes back.
    await redis.del(leases);
    await dropClients(redis);
    await expect.poll(() => redis.zscore(leases, holder!), { timeout: QUICK_MS, interval: 50 }).not.toBeNull();
    expect(lines.some((l) => l.includes('"event":"leases-reasserted"') && l.includes('"re-added":1'))).toBe(true);
    expect(receiver.open()).toBe(1);
    expect(lines.some((l) => l.includes('"event":"lease-lost"'))).toBe(false);
    await expect.poll(async () => (await ops.stats(`${DOMAIN}/mta1`)).delivered, { timeout: 40_000, interval: 200 }).toBe(3);
    expect(receiver.peak()).toBe(1);
  });

  it('cuts the connection at once when another holder took the slot before the reconnect', { timeout: 90_000 }, async () => {
    const { server, redis, ops, store, receiver, lines } = await setUp(60_000);
    for (let i = 0; i < 3; i++) await store.enqueue(message(i));
    await expect.poll(() => receiver.open(), { timeout: 20_000, interval: 50 }).toBe(1);
    const leases = ops.keys.vmtaConnections('mta1');
    expect(await redis.zcard(leases)).toBe(1);
    // The lease is lost, and another process fills the one slot (max-smtp-out 1) in the gap.
    await redis.del(leases);
    const other = new Redis(server.url);
    cleanups.push(() => other.disconnect());
    expect(await new ConnectionLimiter(other, 'ra').acquire({ kind: 'vmta', vmta: 'mta1' }, 'other-host:1:x', 1, LEASE_MS)).toBe(true);
    await dropClients(redis);
    await expect.poll(() => receiver.open(), { timeout: QUICK_MS, interval: 50 }).toBe(0);
    expect(lines.some((l) => l.includes('"event":"leases-reasserted"') && l.includes('"lost":1'))).toBe(true);
    expect(lines.some((l) => l.includes('"event":"lease-lost"'))).toBe(true);
    // Only the other holder is in; once it gives the slot back, the cut message goes out.
    expect(await redis.zrange(leases, '0', '-1')).toEqual(['other-host:1:x']);
    await redis.zrem(leases, 'other-host:1:x');
    await expect.poll(async () => (await ops.stats(`${DOMAIN}/mta1`)).delivered, { timeout: 40_000, interval: 200 }).toBe(3);
    expect(receiver.peak()).toBe(1);
  });

  it.skipIf(!canStartSentinels())('puts back a lease a real Sentinel failover lost (the promoted replica never had it)', { timeout: 120_000 }, async () => {
    const set: SentinelSet = await startSentinelSet();
    cleanups.push(() => set.dispose());
    await set.ready();
    const client = createRedis(set.url, 'delivery');
    client.on('error', () => undefined);
    cleanups.push(() => client.disconnect());
    const { ops, store, receiver, lines } = await startOn(set.url, client, 'rf', 20_000);
    for (let i = 0; i < 3; i++) await store.enqueue(message(i));
    await expect.poll(() => receiver.open(), { timeout: 20_000, interval: 50 }).toBe(1);
    const leases = ops.keys.vmtaConnections('mta1');
    const [holder] = await client.zrange(leases, '0', '-1');
    expect(holder).toBeDefined();
    // The replica loses the lease as if it had never been replicated to it (a local write: replicas
    // replicate nothing back), then the primary dies and the Sentinels promote that replica.
    const primary = await set.master();
    const replica = set.servers.find((s) => `${s.host}:${s.port}` !== primary)!;
    const onReplica = new Redis({ host: replica.host, port: replica.port });
    cleanups.push(() => onReplica.disconnect());
    await onReplica.call('CONFIG', 'SET', 'replica-read-only', 'no');
    await onReplica.del(leases);
    expect(await onReplica.exists(leases)).toBe(0);
    const promoted = await set.killPrimaryAndWaitForFailover();
    expect(promoted).toBe(`${replica.host}:${replica.port}`);
    await expect.poll(() => onReplica.zscore(leases, holder!), { timeout: QUICK_MS, interval: 50 }).not.toBeNull();
    expect(lines.some((l) => l.includes('"event":"leases-reasserted"') && l.includes('"re-added":1'))).toBe(true);
    expect(receiver.open()).toBe(1);
    await expect.poll(async () => (await ops.stats(`${DOMAIN}/mta1`)).delivered, { timeout: 60_000, interval: 200 }).toBe(3);
    expect(receiver.peak()).toBe(1);
  });
});
