import { Redis } from 'ioredis';
import { MessageStore, QueueOps, SLOT_RECOVERY_AFTER_MS } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';
import { getTestRedis } from '@vmta/testing';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { oneSlotConfig as config } from '../testing/one-slot-config.js';
import { startSlowReceiver } from '../testing/test-smtp-receiver.js';
import { startDelivery } from './delivery-service.js';
import { recoverSilentSlots } from './slot-recovery.js';

/**
 * Issue 18: a live process whose heartbeat could not be written for a while (Redis failing over)
 * looks silent. max-smtp-out must hold at the receiver all the same: the process fences itself
 * (closes its sessions) before anyone may take its slots, and never takes its own slots back.
 */
const DOMAIN = 'fence.example';
const message = (i: number) => testMessage(`r${i}@${DOMAIN}`, { body: Buffer.from(`Subject: fence\r\nX-Seq: ${i}\r\n\r\nhello\r\n`) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A delivery process whose heartbeat the test stops and starts (in the registry index and as acknowledged). */
async function bed(delayMs: number | (() => number)) {
  const t = await getTestRedis();
  const redis = new Redis(t.url);
  const prefix = t.prefix.slice(0, -1);
  const receiver = await startSlowReceiver(delayMs);
  const store = new MessageStore(redis, { prefix });
  const ops = new QueueOps(redis, prefix);
  const processId = 'host:1:live';
  let lastBeatAt = Date.now();
  let beating = true;
  const beat = async () => {
    const at = Date.now();
    await redis.zadd(ops.keys.processIndex(), at, processId);
    lastBeatAt = at;
  };
  await beat();
  const timer = setInterval(() => void (beating && beat()), 200);
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const delivery = await startDelivery({ config: config(receiver.port), redisUrl: t.url, prefix, concurrency: 4, logger, holder: { processId, lastBeatAt: () => lastBeatAt } });
  return {
    ops,
    store,
    receiver,
    processId,
    lines,
    stopBeating: () => (beating = false),
    startBeating: () => (beating = true),
    delivered: async () => (await ops.stats(`${DOMAIN}/mta1`)).delivered,
    close: async () => {
      clearInterval(timer);
      await delivery.close();
      await store.dispatcher.close();
      await receiver.close();
      redis.disconnect();
      await t.cleanup();
    },
  };
}

describe('a live process that looks silent (its heartbeat failed for longer than slot recovery waits)', () => {
  it('never takes its own slots back: one connection at a time at the receiver, every message delivered', { timeout: 90_000 }, async () => {
    const TOTAL = 24;
    const b = await bed(600);
    try {
      for (let i = 0; i < TOTAL; i++) await b.store.enqueue(message(i));
      await expect.poll(() => b.receiver.received(), { timeout: 20_000, interval: 50 }).toBeGreaterThan(0);
      // Its own recovery scan runs every second and now sees this process as silent.
      b.stopBeating();
      await sleep(SLOT_RECOVERY_AFTER_MS + 3_000);
      expect(b.receiver.peak()).toBe(1);
      expect(b.lines.some((l) => l.includes('"event":"slot-recovered"'))).toBe(false);
      b.startBeating();
      await expect.poll(() => b.delivered(), { timeout: 60_000, interval: 200 }).toBe(TOTAL);
      expect(b.receiver.peak()).toBe(1);
    } finally {
      await b.close();
    }
  });

  it('closes its sessions, even mid-transaction, before another process may take its slots', { timeout: 90_000 }, async () => {
    const TOTAL = 5;
    // The first message is answered after 60 s: its session would stay open through the recovery.
    let first = true;
    const b = await bed(() => (first ? ((first = false), 60_000) : 50));
    try {
      for (let i = 0; i < TOTAL; i++) await b.store.enqueue(message(i));
      await expect.poll(() => b.receiver.open(), { timeout: 20_000, interval: 50 }).toBe(1);
      const silentSince = Date.now();
      b.stopBeating();
      await sleep(SLOT_RECOVERY_AFTER_MS - (Date.now() - silentSince) + 200);
      // Another process would now take the slot and open its own connection: this one's must be gone.
      expect(b.receiver.open()).toBe(0);
      expect(b.lines.some((l) => l.includes('"event":"sessions-fenced"'))).toBe(true);
      const taken = await recoverSilentSlots({ ops: b.ops, dispatcher: b.store.dispatcher, log: pino({ level: 'silent' }), self: 'host:2:other' });
      expect(taken).toBeLessThanOrEqual(1);
      b.startBeating();
      await expect.poll(() => b.delivered(), { timeout: 40_000, interval: 200 }).toBe(TOTAL);
      expect(b.receiver.peak()).toBe(1);
    } finally {
      await b.close();
    }
  });
});
