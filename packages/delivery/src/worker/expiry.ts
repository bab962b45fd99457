/**
 * bounce-after in every state: each queue has one delayed `expire` job due when
 * its oldest message reaches bounce-after. It bounces what is too old whether
 * the queue is normal, in retry or paused (mail held by a running token is
 * bounced by that token), then moves itself to BullMQ's delayed set until the
 * next oldest message is due (scheduleExpiry cannot: it finds this job active).
 * A sweep that leaves the queue empty completes; the next first message of the
 * queue schedules a new one, and `afterSweep` covers a first message that came
 * while the sweep was finishing (its schedule found the sweep active).
 */
import { domainPolicy } from '@vmta/config';
import { EXPIRY_SLOT, type QueueRef, type TokenData } from '@vmta/queue';
import type { Job } from 'bullmq';
import { applyOutcomes, sameOutcome, type RecipientOutcome } from './outcomes.js';
import type { TokenDeps } from './token-deps.js';
import { sleep } from './token-sleep.js';

const BATCH = 200;
/** An overdue message held by a token stays in `age` until the token finishes it: the sweep looks again this much later. */
const HELD_RECHECK_MS = 60_000;

export function expiredOutcome(bounceAfterMs: number): RecipientOutcome {
  return {
    outcome: 'bounced',
    // RFC 3463: 4.4.7 "delivery time expired", reported with Action: failed (as sendmail and Postfix do)
    code: 554,
    enhancedCode: '4.4.7',
    response: `message expired: not delivered within bounce-after (${Math.round(bounceAfterMs / 1000)}s)`,
    category: 'message-expired',
  };
}

export async function processExpiry(job: Job<TokenData>, token: string | undefined, deps: TokenDeps): Promise<number> {
  const now = deps.now ?? Date.now;
  const { queue, domain, vmta } = job.data;
  const { ops } = deps;
  const policy = domainPolicy(deps.config(), domain, vmta).settings;
  await ops.requeueInflight(queue, EXPIRY_SLOT, now());
  let bounced = 0;
  for (;;) {
    const candidates = await ops.receivedBefore(queue, now() - policy['bounce-after'], BATCH);
    const ids = await ops.claimIds(queue, EXPIRY_SLOT, candidates);
    for (const id of ids) {
      const message = await deps.store.get(id);
      const pending = message?.recipients.filter((r) => r.queue === queue && r.state === 'queued') ?? [];
      if (!message || pending.length === 0) {
        await ops.recordOutcomes({ id, queue, slot: EXPIRY_SLOT, recipients: [] });
        continue;
      }
      const results = sameOutcome(pending, expiredOutcome(policy['bounce-after']));
      if (deps.bounces) await deps.bounces.notify(message, results, 'failed');
      await ops.recordOutcomes({ id, queue, slot: EXPIRY_SLOT, ...applyOutcomes(message, results, { queue, now: now() }, policy['retry-recipients-after']) });
      bounced += pending.length;
    }
    // Candidates held by a running token are left to it; stop when nothing more could be taken.
    if (ids.length === 0 || candidates.length < BATCH) break;
  }
  if (bounced > 0) deps.log.info({ event: 'expired', queue, recipients: bounced }, 'bounced mail older than bounce-after');
  const oldest = await ops.oldest(queue);
  if (oldest === undefined) return bounced;
  const due = oldest + policy['bounce-after'];
  return await sleep(job, token, due > now() ? due : now() + HELD_RECHECK_MS);
}

/**
 * After a sweep completed (it found the queue empty): a first message that came meanwhile found the
 * sweep active and scheduled none (nor does its token when no host serves the VMTA): schedule it now.
 */
export async function afterSweep(ref: QueueRef, deps: Pick<TokenDeps, 'ops' | 'dispatcher' | 'config'>): Promise<void> {
  const oldest = await deps.ops.oldest(ref.queue);
  if (oldest === undefined) return;
  await deps.dispatcher.scheduleExpiry(ref, oldest + domainPolicy(deps.config(), ref.domain, ref.vmta).settings['bounce-after']);
}
