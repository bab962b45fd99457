/**
 * Scenario "million": N messages (default 1,000,000) written straight into the
 * queue through packages/queue (many enqueues in flight, so ioredis pipelines
 * them), spread over several domains, with delivery stopped; Redis used_memory
 * per message; then two delivery processes drain to the sink. Enqueueing and
 * draining each have a time budget: a phase that would outlast it is cut there,
 * and the figures for the full count are extrapolated from the measured rates
 * and per-message memory (the result and the report say so).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { getFreePort } from '@vmta/redis-server';
import { MessageStore } from '@vmta/queue';
import type { BenchOptions } from '../args.js';
import { startBenchRedis } from '../bench-redis.js';
import { messageWithHeaders, textPayload } from '../bodies.js';
import { parseInfo } from '../redis-info.js';
import { startSink } from '../sink.js';
import { perSecond } from '../stats.js';
import { benchConfig, spawnVmta, type VmtaProcess } from '../vmta.js';
import { ADDR, FROM, pool, sleep, tempDir, type Context } from './common.js';

export interface MillionResult {
  /** The count asked for. */
  target: number;
  /** The count actually queued (less than target when the enqueue budget ran out). */
  messages: number;
  domains: number;
  bodyBytes: number;
  storedBodyBytes: number;
  enqueueMs: number;
  enqueuePerSec: number;
  usedMemoryBytes: number;
  memoryPerMessage: number;
  aofBytes: number;
  deliveryProcesses: number;
  drainedMessages: number;
  drainMs: number;
  drainPerSec: number;
  /** True when fewer than `target` messages were drained: the drain time for `target` is extrapolated. */
  extrapolated: boolean;
  /** True when the drain budget ran out before the queue was empty. */
  drainCut: boolean;
  drainTotalSeconds: number;
  /** Figures for the target count (equal to the measured ones when nothing was cut). */
  projected: { memoryBytes: number; enqueueSeconds: number; drainSeconds: number };
  deliveryCpuPer1000: number;
  redisCpuPer1000: number;
}

export async function runMillion(ctx: Context, opts: BenchOptions): Promise<MillionResult> {
  const target = opts.million;
  const domains = 10;
  const tmp = tempDir('million');
  const redis = await startBenchRedis(path.join(tmp.dir, 'redis'), opts.fsync);
  const sink = await startSink(ctx.tools.smtpSink, ADDR.sink, await getFreePort(ADDR.sink));
  const prefix = 'bench';
  const config = path.join(tmp.dir, 'vmta.conf');
  writeFileSync(config, benchConfig({ sink, maxSmtpOut: 20 }));
  const store = new MessageStore(redis.client, { prefix });
  const body = Buffer.from(messageWithHeaders(textPayload(opts.size), FROM, 'rcpt@domain', 'million'));
  const deliveries: VmtaProcess[] = [];
  try {
    ctx.log(`million: enqueueing ${target} messages of ${body.length} bytes into ${domains} domains (appendfsync ${opts.fsync})`);
    const mem0 = await redis.usedMemory();
    const t0 = performance.now();
    let done = 0;
    let storedBodyBytes = 0;
    const step = Math.max(1, Math.floor(target / 20));
    const enqueueBudgetMs = opts.enqueueBudgetSeconds * 1000;
    await pool(
      (function* () {
        for (let i = 0; i < target && performance.now() - t0 < enqueueBudgetMs; i++) yield i;
      })(),
      256,
      async (i) => {
        const domain = `m${i % domains}.million.bench.test`;
        const { id } = await store.enqueue({
          mailFrom: FROM,
          recipients: [{ address: `rcpt${i}@${domain}`, domain }],
          body,
          vmta: 'bench',
          source: { ip: '127.0.0.1', listener: 'bench' },
          receivedAt: Date.now(),
        });
        if (i === 0) storedBodyBytes = await redis.client.strlen(store.keys.messageBody(id));
        if (++done % step === 0) ctx.log(`  ${done} queued (${perSecond(done, performance.now() - t0).toFixed(0)}/s)`);
      },
    );
    const enqueueMs = performance.now() - t0;
    const n = done;
    if (n < target) ctx.log(`  enqueue budget of ${opts.enqueueBudgetSeconds} s used up at ${n} messages: figures for ${target} will be extrapolated`);
    await sleep(1000);
    const mem1 = await redis.usedMemory();
    const aofBytes = Number(parseInfo(await redis.client.info('persistence')).aof_current_size ?? 0);
    ctx.log(`  used_memory ${(mem1 / 2 ** 20).toFixed(0)} MiB (${((mem1 - mem0) / n).toFixed(0)} B per message); draining with 2 delivery processes`);

    const budgetMs = opts.drainBudgetSeconds * 1000;
    const rcpu0 = redis.cpu();
    const tDrain = performance.now();
    for (const name of ['delivery-a', 'delivery-b']) {
      deliveries.push(await spawnVmta({ cli: ctx.cli, config, role: 'delivery', redisUrl: redis.url, prefix, dir: tmp.dir, name }));
    }
    let lastLog = performance.now();
    while (sink.count() < n && performance.now() - tDrain < budgetMs) {
      await sleep(500);
      if (performance.now() - lastLog > 30_000) {
        lastLog = performance.now();
        ctx.log(`  ${sink.count()} delivered (${perSecond(sink.count(), lastLog - tDrain).toFixed(0)}/s)`);
      }
      if (deliveries.some((d) => d.exited())) throw new Error('a delivery process exited during the drain');
    }
    const drainMs = performance.now() - tDrain;
    const drained = Math.min(n, sink.count());
    const cpu = deliveries.reduce((s, d) => s + d.cpu(), 0);
    const rcpu = redis.cpu() - rcpu0;
    const rate = perSecond(drained, drainMs);
    const extrapolated = drained < target;
    const drainCut = drained < n;
    const drainTotalSeconds = extrapolated ? (rate > 0 ? target / rate : Number.POSITIVE_INFINITY) : drainMs / 1000;
    return {
      target,
      messages: n,
      domains,
      bodyBytes: body.length,
      storedBodyBytes,
      enqueueMs,
      enqueuePerSec: perSecond(n, enqueueMs),
      usedMemoryBytes: mem1,
      memoryPerMessage: (mem1 - mem0) / n,
      aofBytes,
      deliveryProcesses: deliveries.length,
      drainedMessages: drained,
      drainMs,
      drainPerSec: rate,
      extrapolated,
      drainCut,
      drainTotalSeconds,
      projected: {
        memoryBytes: mem0 + ((mem1 - mem0) / n) * target,
        enqueueSeconds: (enqueueMs / 1000) * (target / n),
        drainSeconds: drainTotalSeconds,
      },
      deliveryCpuPer1000: drained > 0 ? (cpu * 1000) / drained : 0,
      redisCpuPer1000: drained > 0 ? (rcpu * 1000) / drained : 0,
    };
  } finally {
    for (const d of deliveries) await d.stop();
    await store.dispatcher.close();
    await sink.stop();
    await redis.stop(120_000);
    tmp.remove();
  }
}
