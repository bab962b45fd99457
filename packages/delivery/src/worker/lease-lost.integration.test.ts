import { testMessage } from '@vmta/queue/testing';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { openDeliveryTestbed } from '../testing/delivery-testbed.js';
import { oneSlotConfig as config } from '../testing/one-slot-config.js';

/**
 * Issue 18: a VMTA slot lease lost while its connection is in a transaction (the primary that
 * held it failed over before replicating it, or it expired while Redis was out of reach) must cut
 * that connection at once, as the fence watch does: another process may already hold the slot.
 */
const DOMAIN = 'lease.example';
const message = (i: number) => testMessage(`r${i}@${DOMAIN}`, { body: Buffer.from(`Subject: lease\r\nX-Seq: ${i}\r\n\r\nhello\r\n`) });

describe('a VMTA slot lease lost mid-transaction', () => {
  it('cuts the connection in flight; the message stays queued and is delivered later', { timeout: 90_000 }, async () => {
    const TOTAL = 3;
    const bed = await openDeliveryTestbed();
    const { redis, store, ops } = bed;
    // The first message is answered after 60 s: without the cut its session stays open that long.
    let first = true;
    const receiver = await bed.slowReceiver(() => (first ? ((first = false), 60_000) : 50));
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    await bed.deliver(config(receiver.port), { concurrency: 2, logger, vmtaLeaseMs: 1_500 });
    try {
      for (let i = 0; i < TOTAL; i++) await store.enqueue(message(i));
      await expect.poll(() => receiver.open(), { timeout: 20_000, interval: 50 }).toBe(1);
      const leases = ops.keys.vmtaConnections('mta1');
      expect(await redis.zcard(leases)).toBe(1);
      // The lease is gone as after a failover that lost it: the next renewal finds it missing.
      await redis.del(leases);
      await expect.poll(() => receiver.open(), { timeout: 20_000, interval: 50 }).toBe(0);
      expect(lines.some((l) => l.includes('"event":"lease-lost"'))).toBe(true);
      await expect.poll(async () => (await ops.stats(`${DOMAIN}/mta1`)).delivered, { timeout: 40_000, interval: 200 }).toBe(TOTAL);
      expect(receiver.peak()).toBe(1);
    } finally {
      await bed.close();
    }
  });
});
