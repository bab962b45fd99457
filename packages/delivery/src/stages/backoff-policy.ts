/**
 * Stage "backoff policy": the limits a queue works under in backoff mode. Pure. PowerMTA
 * §3.3.10: backoff-max-msg-rate, backoff-max-smtp-out, backoff-max-msg-per-connection and
 * backoff-retry-after replace max-msg-rate, max-smtp-out, max-msg-per-connection and retry-after
 * while the queue is in backoff; one that is not
 * set leaves the normal limit in force.
 */
import type { DomainPolicy } from '@vmta/config';

export function effectivePolicy(policy: DomainPolicy, inBackoff: boolean): DomainPolicy {
  if (!inBackoff) return policy;
  const rate = policy['backoff-max-msg-rate'];
  const smtpOut = policy['backoff-max-smtp-out'];
  const retry = policy['backoff-retry-after'];
  const perConnection = policy['backoff-max-msg-per-connection'];
  return {
    ...policy,
    ...(rate !== undefined && rate !== null ? { 'max-msg-rate': rate } : {}),
    ...(smtpOut !== undefined && smtpOut !== null ? { 'max-smtp-out': Math.max(1, smtpOut) } : {}),
    ...(retry !== undefined && retry !== null ? { 'retry-after': retry } : {}),
    ...(perConnection !== undefined && perConnection !== null ? { 'max-msg-per-connection': perConnection } : {}),
  };
}

/** When a queue that enters backoff now returns to normal by itself (backoff-to-normal-after), if ever. */
export function backoffUntil(policy: DomainPolicy, now: number): number | undefined {
  const after = policy['backoff-to-normal-after'];
  return after === undefined || after === null ? undefined : now + after;
}

/**
 * The VMTA that delivers a queue's mail (PowerMTA reroute-to-virtual-mta and
 * backoff-reroute-to-virtual-mta): in backoff the backoff reroute if set, else the reroute if
 * set, else the queue's own VMTA. The mail stays in its queue (domain/vmta) under that queue's
 * limits; only the connection is the other VMTA's: its source IPs, EHLO name, DKIM keys and its
 * <virtual-mta> max-smtp-out. One hop: the other VMTA's own reroutes are not followed.
 */
export function deliveringVmta(policy: DomainPolicy, vmta: string, inBackoff: boolean): string {
  const backoff = policy['backoff-reroute-to-virtual-mta'];
  if (inBackoff && backoff) return backoff;
  return policy['reroute-to-virtual-mta'] || vmta;
}
