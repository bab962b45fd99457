/** The single-run variants of the e2e scenario: a sink that pushes back, and recipients over many domains. */
import type { BenchOptions } from '../args.js';
import { messageWithHeaders, sourceLikePayload } from '../bodies.js';
import { manyDomainRecipient, sendManyDomains } from '../many-domains.js';
import { sourceArgs, type SourceLoad } from '../source.js';
import { deadline, type Context } from './common.js';
import { runDirect, smtpSource, type Send } from './e2e-measure.js';
import { measurePostfix, withPostfix } from './e2e-postfix.js';
import type { VariantResult } from './e2e-types.js';
import { measureVmta, withVmta } from './e2e-vmta.js';

/**
 * Slow sink: smtp-sink waits `-w` seconds before its reply to DATA, so each
 * connection carries at most one message per delay and the MTA's queue fills.
 */
export async function runSlowSink(ctx: Context, opts: BenchOptions, load: SourceLoad, maxSmtpOut: number): Promise<VariantResult> {
  const slow = { ...load, messages: opts.slowMessages };
  const sinkArgs = ['-w', String(opts.slowDelaySeconds)];
  // At most maxSmtpOut / delay messages per second reach the sink; Postfix gets four times that long.
  const postfixLimit = deadline(slow.messages, Math.max(1, maxSmtpOut / opts.slowDelaySeconds / 4));
  ctx.log(`e2e slow sink (smtp-sink ${sinkArgs.join(' ')}): ${slow.messages} messages to Postfix`);
  const postfix = await withPostfix(ctx, maxSmtpOut, sinkArgs, (env) => measurePostfix(ctx, env, slow.messages, smtpSource(ctx, slow), postfixLimit));
  // vmta gets twice what Postfix needed (at least a minute): a cut-off run is reported as such, with what arrived by then.
  const vmtaLimit = Math.max(60_000, 2 * (Number.isFinite(postfix.endToEndMs) ? postfix.endToEndMs : postfixLimit));
  ctx.log(`e2e slow sink: ${slow.messages} messages to vmta (cut off after ${Math.round(vmtaLimit / 1000)} s)`);
  const vmta = await withVmta(ctx, opts.fsync, maxSmtpOut, { sinkArgs }, (env) => measureVmta(ctx, env, slow.messages, smtpSource(ctx, slow), vmtaLimit));
  ctx.log(`  vmta: accepted ${vmta.acceptedPerSec.toFixed(0)}/s, end to end ${vmta.endToEndPerSec.toFixed(0)}/s, sink ${vmta.sinkCount}/${slow.messages}, deferred ${vmta.deferred}`);
  return { messages: slow.messages, sessions: slow.sessions, loadArgs: sourceArgs(slow, '<host>', 0).slice(0, -1), sinkArgs, domains: 1, postfix, vmta };
}

/** Many domains: recipients round-robin over `manyDomains` domains, all routed to the one sink. */
export async function runManyDomains(ctx: Context, opts: BenchOptions, load: SourceLoad, maxSmtpOut: number): Promise<VariantResult> {
  const domains = opts.manyDomains;
  const body = messageWithHeaders(sourceLikePayload(load.size), load.from, manyDomainRecipient(0, domains), 'many');
  const many = { messages: load.messages, sessions: load.sessions, domains, from: load.from, body };
  const send: Send = (t) => sendManyDomains(many, t.host, t.port);
  ctx.log(`e2e many domains: ${many.messages} messages over ${domains} domains, our client → smtp-sink`);
  const direct = await runDirect(ctx, many.messages, send);
  ctx.log(`  direct: ${direct.acceptedPerSec.toFixed(0)}/s`);
  ctx.log('e2e many domains: to Postfix');
  const postfix = await withPostfix(ctx, maxSmtpOut, [], (env) => measurePostfix(ctx, env, many.messages, send));
  ctx.log('e2e many domains: to vmta');
  const vmta = await withVmta(ctx, opts.fsync, maxSmtpOut, {}, (env) => measureVmta(ctx, env, many.messages, send));
  ctx.log(`  vmta: accepted ${vmta.acceptedPerSec.toFixed(0)}/s, end to end ${vmta.endToEndPerSec.toFixed(0)}/s, sink ${vmta.sinkCount}/${many.messages}, deferred ${vmta.deferred}`);
  return {
    messages: many.messages,
    sessions: many.sessions,
    loadArgs: [`packages/bench many-domain client: ${many.sessions} sessions, ${n(load.size)} B payload, 1 recipient u<k>@d<k mod ${domains}>.many.bench.test`],
    sinkArgs: [],
    domains,
    direct,
    postfix,
    vmta,
  };
}

const n = (x: number) => x.toLocaleString('en-US');
