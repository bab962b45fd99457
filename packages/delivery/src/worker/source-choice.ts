/**
 * The source a message leaves from, with the run's gates: the disabled source IPs of the queue
 * (source-gate.ts) and IP warm-up (stages/warm-up.ts: the first N messages a day of the queue go
 * from `<vmta>-cold`, counted in Redis across every process). Every source disabled: the queue
 * waits (LimitWait, the mail stays queued), never bounces for it.
 */
import type { VmtaConfig } from '@vmta/config';
import type { RateCounter } from '@vmta/queue';
import { SmtpClientError } from '../smtp-client/errors.js';
import { selectSource, type OutboundSource } from '../stages/select-source.js';
import type { ColdVmta } from '../stages/warm-up.js';
import type { SourceGate } from './source-gate.js';
import { LimitWait } from './token-sleep.js';

/** The RateCounter name of the daily cold-VMTA counts (subject: the queue). */
export const COLD_COUNT = 'cold-vmta';

export interface SourceChoiceContext {
  config: VmtaConfig;
  queue: string;
  vmta: string;
  gate: SourceGate;
  cold?: ColdVmta;
  counters?: RateCounter;
  localIps?: ReadonlySet<string>;
  now: () => number;
}

export interface ChosenSource extends OutboundSource {
  /** The VMTA whose smtp-source-host it is: the queue's, or its cold VMTA. */
  vmta: string;
}

const sourceProblem = (err: unknown): boolean => err instanceof SmtpClientError && (err.code === 'SOURCE_DISABLED' || err.code === 'SOURCE_NONE');

export async function chooseSource(ctx: SourceChoiceContext, recipient: string): Promise<ChosenSource> {
  const disabled = await ctx.gate.disabledIps(ctx.now());
  const options = { disabled, ...(ctx.localIps ? { localIps: ctx.localIps } : {}) };
  if (ctx.cold && ctx.counters) {
    const taken = await ctx.counters.take(COLD_COUNT, ctx.queue, ctx.cold.limit, ctx.now());
    if (taken.allowed) {
      try {
        return { ...selectSource(ctx.config, ctx.cold.name, recipient, options), vmta: ctx.cold.name };
      } catch (err) {
        // The cold VMTA cannot send from here now: the message goes warm and the count is given back.
        await taken.giveBack();
        if (!sourceProblem(err)) throw err;
      }
    }
  }
  try {
    return { ...selectSource(ctx.config, ctx.vmta, recipient, options), vmta: ctx.vmta };
  } catch (err) {
    if (err instanceof SmtpClientError && err.code === 'SOURCE_DISABLED') throw new LimitWait(ctx.gate.wakeAt(ctx.now()), 'sources-disabled');
    throw err;
  }
}
