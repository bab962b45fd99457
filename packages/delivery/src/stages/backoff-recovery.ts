/**
 * Stage "backoff recovery" (not in PowerMTA): a queue that leaves backoff comes back to its
 * normal limits in `backoff-recovery-steps` steps of `backoff-recovery-step-time` each, instead of
 * jumping to full speed at once. Step k (1..N) doubles the backoff limits k times:
 * backoff-max-msg-rate × 2^k and backoff-max-smtp-out × 2^k, never above the normal max-msg-rate
 * and max-smtp-out. A limit with no backoff value has nothing to step from and stays normal.
 * The start of the recovery (`recoverySince`) lives in the queue's state hash in Redis
 * (scripts/backoff-mode.ts), so every delivery process is on the same step. Pure.
 */
import type { DomainPolicy, RateValue } from '@vmta/config';

const set = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;

/** The recovery step (1..N) at `now` of a queue that left backoff at `since`; 0 when it is back to normal. */
export function recoveryStep(policy: DomainPolicy, since: number | undefined, now: number): number {
  const steps = policy['backoff-recovery-steps'];
  const stepMs = policy['backoff-recovery-step-time'];
  if (since === undefined || !set(steps) || steps <= 0 || !set(stepMs) || stepMs <= 0) return 0;
  const step = Math.floor(Math.max(0, now - since) / stepMs) + 1;
  return step > steps ? 0 : step;
}

/** max-msg-rate in recovery step `step`: the backoff rate doubled `step` times, at most the normal rate. */
function steppedRate(backoff: RateValue, normal: RateValue | null | undefined, step: number): RateValue {
  if (backoff === 'unlimited') return backoff;
  const stepped = { count: backoff.count * 2 ** step, perMs: backoff.perMs };
  if (!set(normal) || normal === 'unlimited') return stepped;
  return stepped.count / stepped.perMs >= normal.count / normal.perMs ? normal : stepped;
}

/** The limits of a queue in recovery step `step` (0: the policy as it is). */
export function recoveringPolicy(policy: DomainPolicy, step: number): DomainPolicy {
  if (step <= 0) return policy;
  const rate = policy['backoff-max-msg-rate'];
  const smtpOut = policy['backoff-max-smtp-out'];
  const normalOut = policy['max-smtp-out'];
  return {
    ...policy,
    ...(set(rate) ? { 'max-msg-rate': steppedRate(rate, policy['max-msg-rate'], step) } : {}),
    ...(set(smtpOut) ? { 'max-smtp-out': Math.min(Math.max(1, smtpOut) * 2 ** step, set(normalOut) ? normalOut : Infinity) } : {}),
  };
}
