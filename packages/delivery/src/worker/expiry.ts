/**
 * bounce-after in every state: the work of sweeping one queue. The cluster-wide bounce-after
 * index (queue -> when its oldest message reaches bounce-after, scripts/expiry-index.ts) says which
 * queues are due; the sweeper (expiry-sweeper.ts) runs `sweepQueue` on each. What is too old is
 * bounced with a DSN whether the queue is normal, in retry or paused (mail held by a running token
 * is bounced by that token), then the queue's score is set again from its oldest message: out of
 * the index when empty, a minute later when that one is overdue and held by a token.
 *
 * `processExpiry` runs a sweep job (`kind: 'expire'`) left in BullMQ by a version before the
 * sweeper: it makes sure the queue is in the index (the sweeper sweeps it when due) and completes.
 */
import { domainPolicy } from '@vmta/config';
import { EXPIRY_SLOT, type QueueRef, type TokenData } from '@vmta/queue';
import type { Job } from 'bullmq';
import { applyOutcomes, sameOutcome, type RecipientOutcome } from './outcomes.js';
import type { TokenDeps } from './token-deps.js';

const BATCH = 200;
/** An overdue message held by a token stays in `age` until the token finishes it: the sweep looks again this much later. */
export const HELD_RECHECK_MS = 60_000;

export type SweepDeps = Pick<TokenDeps, 'ops' | 'store' | 'bounces' | 'config' | 'log' | 'now'>;

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

/**
 * Bounces the queue's mail older than bounce-after (under the current config), then re-scores the
 * queue in the index. `stillOurs` is asked before each batch: a sweeper that lost its lock stops
 * (what it claimed stays in the sweep slot; the next sweep of the queue gives it back first).
 * Returns the recipients bounced, or undefined when it stopped.
 */
export async function sweepQueue(ref: QueueRef, deps: SweepDeps, stillOurs: () => Promise<boolean> = async () => true): Promise<number | undefined> {
  const now = deps.now ?? Date.now;
  const { queue } = ref;
  const { ops } = deps;
  const policy = domainPolicy(deps.config(), ref.domain, ref.vmta).settings;
  // A sweeper killed mid-sweep left its claim here: back to the queue first.
  await ops.requeueInflight(queue, EXPIRY_SLOT, now());
  let bounced = 0;
  for (;;) {
    if (!(await stillOurs())) return undefined;
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
  await ops.expiry.rescore(queue, policy['bounce-after'], now(), HELD_RECHECK_MS);
  return bounced;
}

/**
 * An `expire` job of an older version: it puts the queue in the index (at its oldest message +
 * bounce-after, or keeps an earlier score) and completes, no re-sleep. The sweeper then sweeps the
 * queue when due (at once when overdue): only the lock holder sweeps, so this job never works the
 * sweep slot beside it. Returns 1 when the queue held mail, else 0.
 */
export async function processExpiry(job: Job<TokenData>, _token: string | undefined, deps: TokenDeps): Promise<number> {
  const { queue, domain, vmta } = job.data;
  return (await deps.ops.expiry.index({ queue, domain, vmta }, domainPolicy(deps.config(), domain, vmta).settings['bounce-after'])) ? 1 : 0;
}
