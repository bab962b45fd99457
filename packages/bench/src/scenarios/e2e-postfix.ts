/** The Postfix side of the e2e scenario: a private instance relaying to a fresh smtp-sink, measured with its whole process tree. */
import { getFreePort } from '@vmta/redis-server';
import type { BenchOptions } from '../args.js';
import { startPostfix, type PostfixInstance } from '../postfix.js';
import { treeCpu, treeDelta } from '../proc-stat.js';
import { startSink, type Sink } from '../sink.js';
import type { SourceLoad } from '../source.js';
import { ADDR, sleep, tempDir, type Context } from './common.js';
import { latencyAt, latencyCount, measure, smtpSource, warmUp, type Send, type Target } from './e2e-measure.js';
import type { E2eResult } from './e2e-types.js';

export interface PostfixEnv {
  sink: Sink;
  smtpd: Target;
  pf: PostfixInstance;
}

export async function withPostfix<T>(ctx: Context, maxSmtpOut: number, sinkArgs: string[], fn: (env: PostfixEnv) => Promise<T>): Promise<T> {
  const tmp = tempDir('postfix');
  const sink = await startSink(ctx.tools.smtpSink, ADDR.sink, await getFreePort(ADDR.sink), sinkArgs);
  const smtpd = { host: ADDR.postfix, port: await getFreePort(ADDR.postfix) };
  const pf = await startPostfix({ postfix: ctx.tools.postfix, dir: tmp.dir, smtpd, relay: sink, concurrency: maxSmtpOut });
  try {
    await sleep(500);
    return await fn({ sink, smtpd, pf });
  } catch (err) {
    ctx.log(pf.logTail());
    throw err;
  } finally {
    await pf.stop();
    await sink.stop();
    tmp.remove();
  }
}

/** One measured Postfix run, with its CPU split by process name. */
export async function measurePostfix(ctx: Context, env: PostfixEnv, messages: number, send: Send, timeoutMs?: number, offset = 0): Promise<E2eResult['postfix']> {
  const master = env.pf.masterPid();
  const t0 = treeCpu(master);
  const figures = await measure(
    ctx,
    env.sink,
    offset,
    messages,
    env.smtpd,
    send,
    [
      { name: 'postfix (all processes)', read: () => treeCpu(master).total },
      { name: 'smtp-sink', read: env.sink.cpu },
    ],
    async () => env.pf.statusCounts(),
    timeoutMs,
  );
  const d = treeDelta(t0, treeCpu(master));
  const cpuByProcess: Record<string, number> = {};
  for (const [name, s] of Object.entries(d.byName)) if (s > 0) cpuByProcess[name] = (s * 1000) / messages;
  if (d.reaped > 0) cpuByProcess['(exited children)'] = (d.reaped * 1000) / messages;
  ctx.log(`  postfix: accepted ${figures.acceptedPerSec.toFixed(0)}/s, end to end ${figures.endToEndPerSec.toFixed(0)}/s, sink ${figures.sinkCount}/${messages}, deferred ${figures.deferred}`);
  return { ...figures, cpuByProcess };
}

/** One measured Postfix run after `warmup` messages of the same load (0: cold), then its latency probe. */
export async function runPostfix(ctx: Context, opts: BenchOptions, load: SourceLoad, maxSmtpOut: number, warmup = 0): Promise<E2eResult['postfix']> {
  return withPostfix(ctx, maxSmtpOut, [], async (env) => {
    const offset = await warmUp(ctx, env.sink, warmup, env.smtpd, smtpSource(ctx, { ...load, messages: warmup }));
    const figures = await measurePostfix(ctx, env, load.messages, smtpSource(ctx, load), undefined, offset);
    const rate = figures.acceptedPerSec / 2;
    ctx.log(`  postfix latency at ${rate.toFixed(0)}/s`);
    figures.latency = await latencyAt(env.sink, offset + figures.sinkCount, rate, latencyCount(opts), env.smtpd, load);
    return figures;
  });
}
