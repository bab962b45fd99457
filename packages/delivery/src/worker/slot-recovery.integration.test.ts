import { Redis } from 'ioredis';
import { loadConfigText } from '@vmta/config';
import { MessageStore, QueueOps } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';
import { getTestRedis } from '@vmta/testing';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { startReceiver } from '../testing/test-smtp-receiver.js';
import { startDelivery } from './delivery-service.js';
import { recoverSilentSlots } from './slot-recovery.js';

const message = (i: number) => testMessage(`r${i}@fenced.example`, { body: Buffer.from(`Subject: fence test\r\nX-Seq: ${i}\r\n\r\nhello\r\n`) });

describe('a run whose slot was taken back while it was only slow', () => {
  it('notices before its next message and writes no outcome: only the message on the wire goes twice', { timeout: 30_000 }, async () => {
    const t = await getTestRedis();
    const redis = new Redis(t.url);
    const prefix = t.prefix.slice(0, -1);
    // One connection; each message answered 400 ms after its dot: the run is caught with one on the wire.
    const receiver = await startReceiver({ host: '127.0.0.10', startTls: false, replyDelayMs: 400 });
    const store = new MessageStore(redis, { prefix });
    const ops = new QueueOps(redis, prefix);
    const config = loadConfigText(
      ['<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 mta1.example.test', '</virtual-mta>', '<domain *>', `  smtp-hosts [127.0.0.10]:${receiver.port}`, '  max-smtp-out 1', '</domain>'].join('\n'),
    );
    // The process's heartbeat: fresh until the test makes it look silent.
    let lastBeatAt = Date.now();
    const beat = setInterval(() => (lastBeatAt = Date.now()), 100);
    const processId = 'host:1:slow';
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const delivery = await startDelivery({ config, redisUrl: t.url, prefix, concurrency: 2, logger, holder: { processId, lastBeatAt: () => lastBeatAt } });
    const arrivedAt: number[] = [];
    const watch = setInterval(() => {
      while (arrivedAt.length < receiver.messages.length) arrivedAt.push(Date.now());
    }, 5);
    try {
      await redis.zadd(ops.keys.processIndex(), Date.now(), processId);
      for (let i = 0; i < 5; i++) await store.enqueue(message(i));
      await expect.poll(() => receiver.messages.length, { timeout: 10_000, interval: 10 }).toBe(1);
      // The process goes quiet (a long pause, a slow Redis) past the bound: recovery takes the slot.
      clearInterval(beat);
      lastBeatAt = Date.now() - 20_000;
      await redis.zadd(ops.keys.processIndex(), Date.now() - 20_000, processId);
      const recoveredAt = receiver.messages.length;
      const taken = await recoverSilentSlots({ ops, dispatcher: store.dispatcher, log: pino({ level: 'silent' }) });
      expect(taken).toBe(1);
      // From here the process beats again; the slot's next run (here in the same process) delivers.
      await redis.zadd(ops.keys.processIndex(), Date.now(), processId);
      lastBeatAt = Date.now();
      const refresh = setInterval(() => (lastBeatAt = Date.now()), 100);
      try {
        const seqs = () => receiver.messages.map((m) => Number(/X-Seq: (\d+)/.exec(m.body)?.[1]));
        await expect.poll(() => new Set(seqs()).size, { timeout: 15_000, interval: 50 }).toBe(5);
        // Counted once each: the refused outcome counted nothing.
        await expect.poll(async () => (await ops.stats('fenced.example/mta1')).delivered, { timeout: 5_000 }).toBe(5);
        await expect.poll(() => redis.keys(`${t.prefix}{m:*`), { timeout: 5_000 }).toEqual([]);
        // The message on the wire when the slot was taken went again (its outcome was refused); no other.
        const all = seqs();
        expect(all.length).toBe(6);
        expect(all.filter((s) => s === all[0])).toHaveLength(2);
        // The old run noticed and sent nothing more: after the recovery the slot's mail went over one
        // connection at a time (400 ms apart), never two runs side by side.
        expect(lines.some((l) => l.includes('"event":"slot-lost"'))).toBe(true);
        const gaps = arrivedAt.slice(recoveredAt).map((at, i, a) => (i === 0 ? Infinity : at - a[i - 1]!));
        expect(Math.min(...gaps)).toBeGreaterThan(300);
        expect((await ops.stats('fenced.example/mta1')).inflight).toBe(0);
      } finally {
        clearInterval(refresh);
      }
    } finally {
      clearInterval(watch);
      clearInterval(beat);
      await delivery.close();
      await store.dispatcher.close();
      await receiver.close();
      redis.disconnect();
      await t.cleanup();
    }
  });
});
