/**
 * Scenario "e2e": the same load (smtp-source, 10 KB, 1 recipient, 20 sessions)
 * three ways, each into a fresh smtp-sink:
 *   (1) smtp-source → smtp-sink            the loopback ceiling
 *   (2) smtp-source → Postfix → smtp-sink  the baseline
 *   (3) smtp-source → our listener → Redis → our delivery → smtp-sink
 * Accepted rate = messages / smtp-source wall time; end to end = until the sink
 * has every message. Then, for (2) and (3), the final-dot-to-250 latency at half
 * of that run's accepted rate; for (3) Redis memory per queued message (delivery
 * stopped), Redis commands per message, and a --cpu-prof run of our processes.
 * (2) and (3) are repeated --runs times, alternating which goes first; the
 * report gives medians. Single runs of (3) follow: with the other appendfsync, and
 * with the delivery process at normal priority (`--nice 0`, not its default 19).
 * Two single-run variants follow: a sink that answers DATA only after a delay
 * (smtp-sink -w), and recipients over many domains.
 * Every run is checked: the sink got exactly what was sent, nothing deferred.
 */
import { warmupFor, type BenchOptions } from '../args.js';
import { runOrder } from '../runs.js';
import { sourceArgs, type SourceLoad } from '../source.js';
import { FROM, TO, type Context } from './common.js';
import { runDirect, smtpSource } from './e2e-measure.js';
import { runPostfix } from './e2e-postfix.js';
import type { E2eResult } from './e2e-types.js';
import { runVmta, type RedisFigures } from './e2e-vmta.js';
import { runManyDomains, runSlowSink } from './e2e-variants.js';


export type * from './e2e-types.js';

export async function runE2e(ctx: Context, opts: BenchOptions): Promise<E2eResult> {
  const maxSmtpOut = 20;
  const load: SourceLoad = { messages: opts.messages, sessions: opts.sessions, size: opts.size, from: FROM, to: TO };
  const warmup = warmupFor(opts, load.messages);
  const runs: NonNullable<E2eResult['runs']> = { direct: [], postfix: [], vmta: [], order: [] };
  let redis: RedisFigures | undefined;
  let profile: E2eResult['profile'];
  let firstPostfix: E2eResult['postfix'] | undefined;
  for (let i = 0; i < opts.runs; i++) {
    const tag = `e2e run ${i + 1}/${opts.runs}`;
    ctx.log(`${tag}: smtp-source → smtp-sink, ${load.messages} messages`);
    const direct = await runDirect(ctx, load.messages, smtpSource(ctx, load));
    runs.direct.push(direct);
    ctx.log(`  direct: ${direct.acceptedPerSec.toFixed(0)}/s`);
    for (const mta of runOrder(i)) {
      if (mta === 'postfix') {
        ctx.log(`${tag}: smtp-source → Postfix → smtp-sink`);
        const pf = await runPostfix(ctx, opts, load, maxSmtpOut, warmup);
        firstPostfix ??= pf;
        runs.postfix.push(pf);
      } else {
        ctx.log(`${tag}: smtp-source → vmta listener → Redis (appendfsync ${opts.fsync}) → vmta delivery → smtp-sink`);
        const r = await runVmta(ctx, opts, load, maxSmtpOut, opts.fsync, i === 0, [], warmup);
        runs.vmta.push(r.figures);
        if (r.redis) ({ redis, profile } = r);
      }
      runs.order.push(`${i + 1}:${mta}`);
    }
  }
  const other = opts.fsync === 'always' ? 'everysec' : 'always';
  ctx.log(`e2e (single run): the same with appendfsync ${other}`);
  const otherRun = await runVmta(ctx, opts, load, maxSmtpOut, other, false, [], warmup);
  // `vmta start --role delivery` runs at nice 19 by default; what that costs or buys, on the same load.
  const deliveryArgs = ['--nice', '0'];
  ctx.log(`e2e (single run): the same with appendfsync ${opts.fsync}, delivery at normal priority (${deliveryArgs.join(' ')})`);
  const normalPriority = await runVmta(ctx, opts, load, maxSmtpOut, opts.fsync, false, deliveryArgs, warmup);
  const slowSink = opts.variants ? await runSlowSink(ctx, opts, load, maxSmtpOut) : undefined;
  const manyDomains = opts.variants ? await runManyDomains(ctx, opts, load, maxSmtpOut) : undefined;
  return {
    load: { ...load, smtpSourceArgs: sourceArgs(load, '<host>', 0).slice(0, -1) },
    warmup,
    fsync: opts.fsync,
    maxSmtpOut,
    direct: runs.direct[0]!,
    postfix: firstPostfix!,
    vmta: runs.vmta[0]!,
    vmtaOtherFsync: { ...otherRun.figures, fsync: other },
    vmtaNormalPriority: { ...normalPriority.figures, deliveryArgs },
    redis: redis!,
    profile,
    runs,
    ...(slowSink ? { slowSink } : {}),
    ...(manyDomains ? { manyDomains } : {}),
  };
}
