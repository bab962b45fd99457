/**
 * A rolled-up queue whose rollup a reload dropped (`NAME.rollup/vmta`, NAME no longer in any
 * <mx-rollup-list> and the queue has no smtp-hosts) gives its mail back to the domain queues: each
 * claimed batch moves, one recipient domain at a time, to `domain/vmta` (or its queue-to target's
 * queue; QueueOps.moveToQueue with a domain, one script per domain: never lost, never in both), and
 * each target's token is woken. The
 * domain queues then decide again (rolled up elsewhere, or delivered by their own MX).
 */
import { domainPolicy, isRollupName, queueToTarget, type VmtaConfig } from '@vmta/config';
import { queueName, type QueueOps, type MessageStore } from '@vmta/queue';
import type { Logger } from 'pino';
import type { TokenDeps } from './token-deps.js';

/** Whether `domain`'s queue is a rolled-up queue whose rollup is gone (pure; smtp-hosts: the queue's policy). */
export function rollupGone(config: VmtaConfig, domain: string, smtpHosts: readonly unknown[] | undefined): boolean {
  const lower = domain.toLowerCase();
  return lower.endsWith('.rollup') && (smtpHosts === undefined || smtpHosts.length === 0) && !isRollupName(config, lower);
}

/** The claimed ids grouped by the recipient domains they have queued in `queue`; ids with none go with the first group. */
export function byRecipientDomain(queue: string, envelopes: ReadonlyArray<{ id: string; recipients: ReadonlyArray<{ queue: string; state: string; domain: string }> } | undefined>, ids: readonly string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  const orphans: string[] = [];
  ids.forEach((id, i) => {
    const domains = new Set((envelopes[i]?.recipients ?? []).filter((r) => r.queue === queue && r.state === 'queued').map((r) => r.domain));
    if (domains.size === 0) orphans.push(id);
    for (const d of domains) groups.set(d, [...(groups.get(d) ?? []), id]);
  });
  if (orphans.length > 0) {
    const first = groups.keys().next();
    if (first.done) groups.set('', orphans);
    else groups.get(first.value)!.push(...orphans);
  }
  return groups;
}

export interface UnrollInput {
  config: VmtaConfig;
  ops: QueueOps;
  store: Pick<MessageStore, 'envelopes'>;
  dispatcher: TokenDeps['dispatcher'];
  queue: string;
  slot: number;
  vmta: string;
  ids: readonly string[];
  now: number;
  run?: string;
  log: Logger;
}

/** Moves a claimed batch of a rolled-up queue whose rollup is gone back to its domain queues; returns the messages moved. */
export async function unrollBatch(input: UnrollInput): Promise<number> {
  const { ops, queue, slot, vmta, ids, now, run } = input;
  const groups = byRecipientDomain(queue, await input.store.envelopes(ids), ids);
  let moved = 0;
  for (const [domain, group] of groups) {
    // '' (no recipient domain left): the ids only leave the slot; the target is never written.
    const target = domain === '' ? '' : queueToTarget(input.config, domain, vmta);
    const to = domain === '' ? queue : queueName(target, vmta);
    const ref = { queue: to, domain: target, vmta };
    const expiry = domain === '' ? undefined : { ref, bounceAfterMs: domainPolicy(input.config, target, vmta).settings['bounce-after'] };
    const n = await ops.moveToQueue(queue, slot, group, to, now, run, domain === '' ? '\u0000' : domain, expiry);
    moved += n;
    if (n > 0) await input.dispatcher.wake(ref, 0);
    input.log.info({ event: 'mx-rollup-unrolled', to, messages: n }, 'mail of a dropped rollup moved back to its domain queue');
  }
  return moved;
}
