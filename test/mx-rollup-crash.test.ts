/**
 * kill -9 of a delivery process while it moves mail into a rolled-up queue and delivers it: every
 * message arrives, none twice outside the RFC 5321 §6.1 window (on the wire at the kill). The
 * messages are enqueued into their domains' own queues (as the listener does before delivery has
 * recorded a rollup), so every one of them is moved to provider.rollup/mta1 by
 * scripts/move-to-queue.ts, while two processes work and one is killed. Real DNS packets (test DNS
 * server, `name-server`), real SMTP on loopback.
 *
 * The "unroll" case runs the reverse: the config has no rollup list any more (a reload dropped
 * it), the messages sit in provider.rollup/mta1, and every one of them is moved back to its
 * domain's queue (worker/unroll.ts) and delivered there while one process is killed.
 */
import { startTestDnsServer } from '@vmta/delivery/testing';
import { describe, expect, it } from 'vitest';
import { openCrashBed, seqMessage, type DeliveryProcess } from './support/crash-bed.js';

const TOTAL = 1000;
const DOMAINS = 3;
const SHARED = 2;

const MODES = [
  { mode: 'rollup', list: true, maxOnWire: SHARED },
  { mode: 'unroll', list: false, maxOnWire: DOMAINS * 4 },
] as const;

describe.each(MODES)('MX rollup ($mode): kill -9 of a delivery process while it moves and delivers', ({ mode, list, maxOnWire }) => {
  it('delivers every message exactly once (outside the §6.1 window)', { timeout: 180_000 }, async () => {
    const zone = Object.fromEntries([
      ...Array.from({ length: DOMAINS }, (_, d) => [`roll${d}.example`, { MX: [{ preference: 10, exchange: 'mx1.provider.test' }] }] as const),
      ['mx1.provider.test', { A: ['127.0.0.10'] }] as const,
    ]);
    const dns = await startTestDnsServer({ address: '127.0.0.1', zone });
    const bed = await openCrashBed({
      receiver: { replyDelayMs: 20 },
      config: (port) => [
        `name-server ${dns.server.ip}:${dns.server.port}`,
        '<virtual-mta mta1>',
        '  smtp-source-host 127.0.0.2 mta1.example.test',
        '</virtual-mta>',
        ...(list ? ['<mx-rollup-list>', '  mx mx1.provider.test provider.rollup', '</mx-rollup-list>'] : []),
        '<domain *>',
        `  default-smtp-port ${port}`,
        '  max-smtp-out 4',
        '  retry-after 2s',
        '</domain>',
        '<domain provider.rollup>',
        `  max-smtp-out ${SHARED}`,
        '</domain>',
      ],
    });
    bed.onClose(() => dns.close());
    const { redis, prefix, store, ops } = bed;
    const receiver = bed.receiver!;
    // A works alone first, so it holds the slots when it is killed; B starts before the kill and takes them back.
    const a = bed.startDelivery();
    let b: DeliveryProcess | undefined;
    try {
      await bed.waitStarted(a);
      const feeding = (async () => {
        // unroll: queued in provider.rollup/mta1 as the listener did while the list existed.
        const queueDomains = list ? undefined : new Map(Array.from({ length: DOMAINS }, (_, d) => [`roll${d}.example`, 'provider.rollup']));
        for (let i = 0; i < TOTAL; i++) await store.enqueue(seqMessage(i, [`r${i}@roll${i % DOMAINS}.example`], { subject: 'rollup crash' }), undefined, { queueDomains });
      })();
      // Kill A while it holds a slot (of a domain queue it moves mail from, or of the rolled-up one).
      const held = async () => (await redis.smembers(`${prefix}:proc:${a.output().match(/"processId":"([^"]+)"/)?.[1]}:slots`)).length;
      await expect.poll(async () => receiver.messages.length > TOTAL / 20 && (await held()) > 0, { timeout: 30_000, interval: 10 }).toBe(true);
      b = bed.startDelivery();
      await bed.waitStarted(b);
      expect(await held()).toBeGreaterThan(0);
      const mark = bed.kill(a);
      await feeding;
      await bed.waitArrived(TOTAL, { timeoutMs: 120_000, intervalMs: 500 });
      await new Promise((r) => setTimeout(r, 200));
      expect(mark.arrived).toBeLessThan(TOTAL);
      console.info(`${mode} crash test: ${TOTAL} messages, ${mark.arrived} arrived before kill -9, ${bed.duplicates(TOTAL)} duplicate(s)`);
      // A message that arrived twice had its first copy on a connection the kill cut: it was on the wire.
      bed.expectTwiceOnlyOnTheWire(mark);
      expect(bed.duplicates(TOTAL)).toBeLessThanOrEqual(maxOnWire);
      if (list) {
        // All of it went through the rolled-up queue; nothing is left anywhere.
        await expect.poll(async () => (await ops.stats('provider.rollup/mta1')).delivered, { timeout: 10_000 }).toBe(TOTAL);
        for (let d = 0; d < DOMAINS; d++) await expect.poll(() => store.queued(`roll${d}.example/mta1`), { timeout: 10_000 }).toEqual([]);
      } else {
        // All of it went back to the domain queues and was delivered there.
        const delivered = async () => {
          let n = 0;
          for (let d = 0; d < DOMAINS; d++) n += (await ops.stats(`roll${d}.example/mta1`)).delivered;
          return n;
        };
        await expect.poll(delivered, { timeout: 10_000 }).toBe(TOTAL);
        await expect.poll(() => store.queued('provider.rollup/mta1'), { timeout: 10_000 }).toEqual([]);
      }
      await bed.expectDrained();
    } finally {
      await bed.close();
    }
  });
});
