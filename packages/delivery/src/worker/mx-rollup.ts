/**
 * MX rollup at delivery: before a domain's queue routes a batch, its MX (lowest preference) is
 * checked against the <mx-rollup-list> (config's rollupFor; a domain without MX by its implicit MX,
 * the domain itself). A rollup is recorded for the
 * listener (MxRollupMap: later mail goes to NAME.rollup/vmta at enqueue; a domain found not
 * rolled up is dropped from it), and a rolled-up domain's
 * claimed batch moves to the rolled-up queue in one script (QueueOps.moveToQueue), whose token is
 * woken; the queue's next claims move the rest. A failed MX lookup decides nothing (route defers).
 */
import { isRollupName, mayRollUp, mxRollupEntries, rollupFor, rollupHosts, rollupRoutable, type VmtaConfig } from '@vmta/config';
import { queueName } from '@vmta/queue';
import type { TokenDeps } from './token-deps.js';

/** How long a decision is kept when the MX answer has no usable TTL, and at most (ms). */
const DECISION_MAX_MS = 60 * 60_000;
/** At least this long, so a short-TTL provider does not cost an MX lookup per batch (ms). */
const DECISION_MIN_MS = 60_000;

export interface RollupTarget {
  name: string;
  queue: string;
}

/** The rollup of `domain`'s queue of `vmta` per its MX now, recorded for the listener; undefined when it is not rolled up. */
export async function resolveRollup(deps: Pick<TokenDeps, 'resolver' | 'store'>, config: VmtaConfig, domain: string, vmta: string, now: number): Promise<RollupTarget | undefined> {
  if (!mayRollUp(config, domain, vmta)) return undefined;
  const mx = await deps.resolver.mx(domain);
  if (mx.kind === 'servfail' || mx.kind === 'timeout') return undefined;
  // A domain without MX is decided on its implicit MX, the domain itself (RFC 5321 §5.1); NXDOMAIN never rolls up.
  const hosts = mx.kind === 'ok' ? rollupHosts(domain, mx.records) : mx.kind === 'nodata' ? rollupHosts(domain, 'no-mx') : [];
  const found = rollupFor(mxRollupEntries(config), hosts);
  const name = found && rollupRoutable(config, found, vmta) ? found : undefined;
  if (name === undefined) {
    await deps.store.rollups.forget(domain);
    return undefined;
  }
  const ttlMs = mx.kind === 'ok' ? mx.ttl * 1000 : DECISION_MIN_MS;
  await deps.store.rollups.record(domain, name, now + Math.min(DECISION_MAX_MS, Math.max(DECISION_MIN_MS, ttlMs)));
  return { name, queue: queueName(name, vmta) };
}

/** Whether a queue of this domain needs the check at all (a rollup list exists, and it is not a rolled-up queue itself). */
export function mayNeedRollup(config: VmtaConfig, domain: string): boolean {
  return config.mxRollupLists.length > 0 && !isRollupName(config, domain);
}
