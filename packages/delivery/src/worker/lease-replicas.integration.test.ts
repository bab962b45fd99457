import { Redis } from 'ioredis';
import { MessageStore, QueueOps } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';
import { startPrivateRedis } from '@vmta/testing';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { oneSlotConfig } from '../testing/one-slot-config.js';
import { startSlowReceiver } from '../testing/test-smtp-receiver.js';
import { startDelivery } from './delivery-service.js';

/**
 * Issue 18: a VMTA slot lease written only on the primary is lost with it at a failover (async
 * replication), and the promoted replica gives the slot to a second connection. With replicas
 * asked for (REDIS_URL wait-replicas, as for the listener's 250), no connection opens before the
 * lease reached them. The replica is held back with SIGSTOP: it acknowledges nothing.
 */
const DOMAIN = 'replicas.example';
const message = (i: number) => testMessage(`r${i}@${DOMAIN}`, { body: Buffer.from(`Subject: replicas\r\nX-Seq: ${i}\r\n\r\nhello\r\n`) });

describe('a VMTA lease with redis replicas asked for', () => {
  it('opens no connection while the replica acknowledges nothing; delivers all once it does', { timeout: 90_000 }, async () => {
    const TOTAL = 3;
    const primary = await startPrivateRedis({ appendOnly: false });
    const replica = await startPrivateRedis({ appendOnly: false });
    const redis = new Redis(primary.url);
    const replicaClient = new Redis(replica.url);
    const receiver = await startSlowReceiver(50);
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    let delivery: Awaited<ReturnType<typeof startDelivery>> | undefined;
    const store = new MessageStore(redis, { prefix: 'lr' });
    const ops = new QueueOps(redis, 'lr');
    let stopped = false;
    try {
      await replicaClient.replicaof('127.0.0.1', String(primary.port));
      await expect.poll(async () => (await replicaClient.info('replication')).includes('master_link_status:up'), { timeout: 20_000, interval: 100 }).toBe(true);
      await expect.poll(async () => (await redis.info('replication')).includes('connected_slaves:1'), { timeout: 20_000, interval: 100 }).toBe(true);
      process.kill(replica.pid, 'SIGSTOP');
      stopped = true;
      delivery = await startDelivery({ config: oneSlotConfig(receiver.port), redisUrl: `${primary.url}?wait-replicas=1&wait-timeout=300`, prefix: 'lr', concurrency: 2, logger });
      for (let i = 0; i < TOTAL; i++) await store.enqueue(message(i));
      // The lease did not reach the replica: the token waits, twice over, and no connection opened.
      await expect.poll(() => lines.filter((l) => l.includes('"reason":"redis-wait-replicas"')).length, { timeout: 30_000, interval: 100 }).toBeGreaterThanOrEqual(2);
      expect(receiver.peak()).toBe(0);
      expect(await redis.zcard(ops.keys.vmtaConnections('mta1'))).toBe(0);
      process.kill(replica.pid, 'SIGCONT');
      stopped = false;
      await expect.poll(async () => (await ops.stats(`${DOMAIN}/mta1`)).delivered, { timeout: 40_000, interval: 200 }).toBe(TOTAL);
      expect(receiver.peak()).toBe(1);
    } finally {
      if (stopped) process.kill(replica.pid, 'SIGCONT');
      await delivery?.close();
      await store.dispatcher.close();
      await receiver.close();
      redis.disconnect();
      replicaClient.disconnect();
      await replica.dispose();
      await primary.dispose();
    }
  });
});
