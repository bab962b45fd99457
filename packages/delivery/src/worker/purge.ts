/**
 * An operator's delete of a queue (`vmta delete --queue`, POST /queues/Q/delete):
 * a `purge` job on the dispatch queue, taken by any delivery process. Like the
 * bounce-after sweep it claims waiting mail into an in-flight slot of its own
 * (so a token and the delete never both handle a message) and finishes every
 * recipient of the queue as bounced. Mail a running token holds is left to it;
 * the job looks again a little later until nothing received before the request
 * is left, or gives up after PURGE_GIVE_UP_MS.
 *
 * Without `dsn` the mail is dropped silently (PowerMTA's `pmta delete --queue`);
 * with it each sender gets a DSN (Action: failed, Status: 5.0.0). Either way
 * the recipients count as bounced and their accounting `b` records carry
 * bounceCat `deleted`, so they are never mistaken for a remote server's verdict.
 *
 * With a filter (`vmta delete --job/--orig/--rcpt`) only the mail it names is claimed (read without
 * its body first); with `--rcpt` only matching recipients go, and the message stays in the queue
 * for the others.
 */
import { compileFilter, type CompiledFilter, type StoredMessage, type TokenData } from '@vmta/queue';
import { DelayedError, type Job } from 'bullmq';
import { applyOutcomes, sameOutcome, type RecipientOutcome } from './outcomes.js';
import type { TokenDeps } from './token-deps.js';

/** Candidates read and claimed per step: one claimIds call of 500 ids stays around 1.5 ms of Redis time. */
const BATCH = 500;
/** How soon a delete looks again at mail a running token held. */
export const PURGE_RETRY_MS = 5_000;
/** After this long a delete stops waiting for mail held by tokens. */
export const PURGE_GIVE_UP_MS = 10 * 60_000;
/** Accounting `bounceCat` of deleted recipients: not one of PowerMTA's reply categories, since no server replied. */
export const DELETED_CATEGORY = 'deleted';

export function deletedOutcome(): RecipientOutcome {
  // RFC 3463 5.0.0: permanent, no more specific code fits "removed by the operator".
  return { outcome: 'bounced', code: 554, enhancedCode: '5.0.0', response: 'deleted by the operator', category: 'other' };
}

/** Deletes what it can of the queue now; returns the recipients deleted (the job may run again for held mail). */
export async function processPurge(job: Job<TokenData>, token: string | undefined, deps: TokenDeps): Promise<number> {
  const now = deps.now ?? Date.now;
  const { queue, slot } = job.data;
  const dsn = job.data.dsn === true;
  const filter = job.data.filter ? compileFilter(job.data.filter) : undefined;
  const before = job.data.before ?? job.timestamp;
  const { ops } = deps;
  // A previous run of this job died holding mail: give it back before claiming again.
  await ops.requeueInflight(queue, slot, now());
  let deleted = 0;
  let held = 0;
  let stopping = false;
  try {
    for (;;) {
      // Mail held by tokens stays in `age`: skip past it rather than reading it again.
      const candidates = await ops.receivedBefore(queue, before, BATCH, held);
      const ids = await ops.claimIds(queue, slot, filter ? await named(deps, candidates, queue, filter) : candidates);
      held += candidates.length - ids.length;
      // One read for the batch, then its messages side by side (ioredis pipelines their scripts).
      const messages = await deps.store.getMany(ids);
      const step = { queue, slot, dsn, now: now(), bounce: job.data.bounce, filter };
      deleted += await purgeBatch(deps, ids, messages, step);
      if (candidates.length < BATCH) break;
      // A big queue must not hold up shutdown: the rest is left to the next process that takes the job.
      if (deps.stopping?.()) {
        stopping = true;
        break;
      }
    }
  } finally {
    // Nothing is left here unless a step failed: then the mail goes back to the queue, not lost in the slot.
    await ops.requeueInflight(queue, slot, now());
  }
  if (stopping) {
    deps.log.info({ event: 'queue-delete-handed-back', queue, recipients: deleted }, 'stopping: the rest of the delete is left to another process');
    await job.moveToDelayed(now() + 1, token);
    throw new DelayedError();
  }
  const left = (await ops.receivedBefore(queue, before, 1)).length > 0;
  const givingUp = left && now() - before > PURGE_GIVE_UP_MS;
  const log = { event: 'queue-deleted', queue, recipients: deleted, dsn, ...(left ? { heldByTokens: true } : {}) };
  if (givingUp) deps.log.warn({ ...log, event: 'queue-delete-incomplete' }, 'delete gave up on mail still held by delivery');
  else if (deleted > 0 || !left) deps.log.info(log, 'deleted mail of a queue');
  if (left && !givingUp) {
    await job.moveToDelayed(now() + PURGE_RETRY_MS, token);
    throw new DelayedError();
  }
  return deleted;
}

/** The candidates the filter names, with a recipient queued in this queue that it names too. */
async function named(deps: TokenDeps, ids: string[], queue: string, filter: CompiledFilter): Promise<string[]> {
  const envelopes = await deps.store.envelopes(ids);
  return ids.filter((_, i) => {
    const m = envelopes[i];
    return m !== undefined && filter.message(m) && m.recipients.some((r) => r.queue === queue && r.state === 'queued' && filter.recipient(r.address));
  });
}

interface PurgeStep {
  queue: string;
  slot: number;
  dsn: boolean;
  now: number;
  bounce?: TokenData['bounce'];
  filter?: CompiledFilter;
}

/**
 * Finishes the claimed messages: DSNs first when asked (a crash before the step repeats a DSN
 * rather than losing it), then one bounded script per few dozen messages (QueueOps#deleteBatch).
 */
async function purgeBatch(deps: TokenDeps, ids: readonly string[], messages: ReadonlyArray<StoredMessage | undefined>, step: PurgeStep): Promise<number> {
  const finished = ids.map((id, i) => outcomesOf(id, messages[i], step));
  if (step.dsn && deps.bounces) {
    const bounces = deps.bounces;
    await Promise.all(
      finished.map(async ({ message, results }) => {
        if (!message || results.length === 0) return;
        const dsnId = await bounces.notify(message, results, 'failed');
        if (dsnId) deps.log.info({ event: 'dsn', queueId: message.id, dsnId, recipients: results.length }, 'deleted mail: notification queued');
      }),
    );
  }
  await deps.ops.deleteBatch(step.queue, step.slot, finished.map((f) => f.outcomes), step.now);
  return finished.reduce((n, f) => n + f.results.length, 0);
}

/** What a delete does to one claimed message: its named recipients of the queue bounced, the others kept. */
function outcomesOf(id: string, message: StoredMessage | undefined, step: PurgeStep) {
  const { queue, now, bounce, filter } = step;
  const queued = message?.recipients.filter((r) => r.queue === queue && r.state === 'queued') ?? [];
  const pending = filter ? queued.filter((r) => filter.recipient(r.address)) : queued;
  // Recipients the filter does not name stay queued: the message goes back to the queue, due now.
  const keep = pending.length < queued.length;
  if (!message || pending.length === 0) return { message, results: [], outcomes: { id, keep, recipients: [] } };
  // A bounce-queue rule bounces with the reply that triggered it; an operator's delete with 5.0.0.
  const outcome: RecipientOutcome = bounce
    ? { outcome: 'bounced', code: bounce.code, response: bounce.response, category: 'policy-related', replyPattern: bounce.rule }
    : deletedOutcome();
  const results = sameOutcome(pending, outcome);
  const applied = applyOutcomes(message, results, { queue, now }, 0);
  const accounting = bounce ? applied.accounting : applied.accounting.map((rec) => ({ ...rec, bounceCat: DELETED_CATEGORY }));
  return { message, results, outcomes: { id, keep, job: applied.job, recipients: applied.recipients, accounting } };
}
