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
 * Each step claims and reads up to BATCH candidates in one go (QueueOps#claimForDelete: meta and
 * recipients, never the body; with --job only that job's mail is claimed). With --orig/--rcpt the
 * filter then runs here and what it does not name goes back to the queue at its old score; with
 * `--rcpt` only matching recipients go, and the message stays in the queue for the others.
 * Steps overlap: the next step's candidates are claimed and its records built while Redis runs
 * this step's delete (each call bounded: see the BATCH and DELETE_BATCH notes).
 */
import { compileFilter, type CompiledFilter, type DeleteCandidate, type MessageHead, type TokenData } from '@vmta/queue';
import { DelayedError, type Job } from 'bullmq';
import { applyOutcomes, sameOutcome, type RecipientOutcome } from './outcomes.js';
import { deletableInRedis, purgeInRedis, quiet, type RedisWalk } from './purge-in-redis.js';
import type { TokenDeps } from './token-deps.js';

/** Candidates per step: claimed and read in CLAIM_FOR_DELETE calls, finished in DELETE_BATCH calls (packages/bench/notes.md). */
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
  // With a filter mail stays behind by design: the walk is complete when nothing was held by a
  // token and nobody else took mail out of the age index meanwhile (which would shift the pages).
  const atStart = filter ? await ops.countReceivedBefore(queue, before) : 0;
  const step = () => ({ queue, slot, dsn, now: now(), bounce: job.data.bounce, filter });
  let walk: RedisWalk;
  try {
    walk = deletableInRedis(ops, dsn, job.data.filter)
      ? await purgeInRedis(ops, queue, before, job.data.filter, now, (ids) => viaClaims(deps, ids, step(), job.data.filter?.job), () => deps.stopping?.() === true)
      : await walkWithClaims(deps, before, step, job.data.filter?.job);
  } finally {
    // Nothing is left here unless a step failed or stopped: then the mail goes back to the queue, not lost in the slot.
    await ops.requeueInflight(queue, slot, now());
  }
  const { deleted, busy, removed, stopped: stopping } = walk;
  if (stopping) {
    deps.log.info({ event: 'queue-delete-handed-back', queue, recipients: deleted }, 'stopping: the rest of the delete is left to another process');
    await job.moveToDelayed(now() + 1, token);
    throw new DelayedError();
  }
  const left = filter ? busy > 0 || (await ops.countReceivedBefore(queue, before)) !== atStart - removed : (await ops.receivedBefore(queue, before, 1)).length > 0;
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

/** Claims and reads these ids, then finishes what it names (one step of the claim path, awaited). */
async function viaClaims(deps: TokenDeps, ids: string[], step: PurgeStep, job: string | undefined): Promise<{ staying: number; deleted: number; busy: number }> {
  const claimed = await deps.ops.claimForDelete(step.queue, step.slot, ids, job);
  const work = plan(ids.length, claimed.claimed, step);
  return { staying: work.staying, deleted: await finish(deps, work, step), busy: claimed.busy };
}

/**
 * The walk that claims and reads each candidate (DSNs, accounting records, recipient filters and
 * patterns): the next step's page and claim are sent before this step's delete, so the records of
 * step i+1 are built while Redis runs the delete of step i.
 */
async function walkWithClaims(deps: TokenDeps, before: number, stepAt: () => PurgeStep, job: string | undefined): Promise<RedisWalk> {
  const { ops } = deps;
  const { queue, slot, dsn } = stepAt();
  const claim = (ids: string[]) => quiet(ops.claimForDelete(queue, slot, ids, job));
  // `kept`: entries the walk left in the queue's age index (held by tokens, not named, kept for
  // other recipients). A page is read by rank after them plus the pages read but not yet deleted.
  let kept = 0;
  let deleted = 0;
  let stopped = false;
  let busy = 0;
  let removed = 0;
  let candidates = await ops.receivedBefore(queue, before, BATCH, 0);
  let claiming = claim(candidates);
  let nextPage = candidates.length < BATCH ? undefined : quiet(ops.receivedBefore(queue, before, BATCH, candidates.length));
  let deleting: Promise<number> = Promise.resolve(0);
  try {
    for (;;) {
      const step = stepAt();
      const claimed = await claiming;
      const work = plan(candidates.length, claimed.claimed, step);
      busy += claimed.busy;
      removed += candidates.length - work.staying;
      // Built while Redis ran the previous step's delete; that one is done before this one goes.
      deleted += await deleting;
      const page = nextPage ? await nextPage : undefined;
      // A big queue must not hold up shutdown: the rest is left to the next process that takes the job.
      stopped = page !== undefined && deps.stopping?.() === true;
      if (page && !stopped) claiming = claim(page);
      deleting = quiet(finish(deps, work, step));
      // With DSNs the delete is sent only after them: wait for it, so the next page sees the queue without it.
      if (dsn) {
        deleted += await deleting;
        deleting = Promise.resolve(0);
      }
      kept += work.staying;
      if (!page || stopped) break;
      candidates = page;
      // Sent after this step's delete, so it sees the queue without it.
      nextPage = page.length < BATCH ? undefined : quiet(ops.receivedBefore(queue, before, BATCH, kept + page.length));
    }
    deleted += await deleting;
  } finally {
    await Promise.allSettled([deleting, claiming]);
  }
  return { deleted, busy, removed, stopped };
}


interface PurgeStep {
  queue: string;
  slot: number;
  dsn: boolean;
  now: number;
  bounce?: TokenData['bounce'];
  filter?: CompiledFilter;
}

type Finished = ReturnType<typeof outcomesOf>;

interface StepWork {
  finished: Finished[];
  /** Claimed but not named: back to the queue at their old score. */
  release: Array<{ id: string; score: number }>;
  /** Candidates that stay in the queue's age index after this step. */
  staying: number;
}

/** What a step does with the candidates it claimed: which it finishes (and how), which it gives back. */
function plan(candidates: number, claimed: readonly DeleteCandidate[], step: PurgeStep): StepWork {
  const finished: Finished[] = [];
  const release: StepWork['release'] = [];
  for (const c of claimed) {
    if (c.message && step.filter && !named(c.message, step.queue, step.filter)) release.push({ id: c.id, score: c.score });
    else finished.push(outcomesOf(c.id, c.message, step));
  }
  const kept = finished.filter((f) => f.outcomes.keep).length;
  return { finished, release, staying: candidates - claimed.length + release.length + kept };
}

/** The filter names the message and a recipient of it queued in this queue. */
function named(m: MessageHead, queue: string, filter: CompiledFilter): boolean {
  return filter.message(m) && m.recipients.some((r) => r.queue === queue && r.state === 'queued' && filter.recipient(r.address));
}

/**
 * Finishes a step: gives back what it does not name, sends DSNs first when asked (a crash before
 * the step repeats a DSN rather than losing it; only then are bodies read), then one bounded
 * script per few dozen messages (QueueOps#deleteBatch).
 */
async function finish(deps: TokenDeps, work: StepWork, step: PurgeStep): Promise<number> {
  const releasing = deps.ops.releaseClaimed(step.queue, step.slot, work.release);
  const finished = work.finished;
  if (step.dsn && deps.bounces) {
    const bounces = deps.bounces;
    const asked = finished.filter((f) => f.message && f.results.length > 0);
    const whole = await deps.store.getMany(asked.map((f) => f.outcomes.id));
    await Promise.all(
      asked.map(async ({ results }, i) => {
        const message = whole[i];
        if (!message) return;
        const dsnId = await bounces.notify(message, results, 'failed');
        if (dsnId) deps.log.info({ event: 'dsn', queueId: message.id, dsnId, recipients: results.length }, 'deleted mail: notification queued');
      }),
    );
  }
  const [, bounced] = await Promise.all([releasing, deps.ops.deleteBatch(step.queue, step.slot, finished.map((f) => f.outcomes), step.now)]);
  return bounced;
}

/** What a delete does to one claimed message: its named recipients of the queue bounced, the others kept. */
function outcomesOf(id: string, message: MessageHead | undefined, step: PurgeStep) {
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
