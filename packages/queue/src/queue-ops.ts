/**
 * What delivery does to a queue, each step atomic in Redis: claim due
 * messages for a connection slot, give back what a dead worker held, record
 * per-recipient outcomes (and drop the message once every recipient is final),
 * and the queue's mode (normal | retry | backoff | paused). The operations live by kind:
 * here claims, slots and outcomes; deletes in queue-deletes.ts; mode changes in
 * queue-mode.ts; the state hash read back in queue-state.ts.
 */
import type { Redis } from 'ioredis';
import { serializeRecord, type DeliveryRecord, type TransientQueueRecord } from './accounting-records.js';
import type { DeleteCandidate } from './delete-claims.js';
import { SlotLostError } from './errors.js';
import { AWAKE_TTL_MS } from './scripts/constants.js';
import { Keys } from './keys.js';
import { latencyBucket } from './latency.js';
import type { RecipientRecord } from './message.js';
import { epochMinute } from './minute-counters.js';
import { claimForDelete, deleteBatch, deleteWaiting, withRecords, type DeleteOutcomes } from './queue-deletes.js';
import * as mode from './queue-mode.js';
import { slotKeys, type QueueOpsContext } from './queue-ops-context.js';
import { parseState, readState, readStats, type QueueState, type QueueStats } from './queue-state.js';
import { slotsOfSilentProcesses, type HeldSlot } from './slot-holders.js';
import { scripts, SLOT_LOST, type ClaimedShare, type FirstClaim, type QueueScripts, type SlotKeys } from './scripts/index.js';
import type { DeletedWaiting, DeleteWaitingInput } from './scripts/delete-waiting.js';
import type { MoveToQueueInput } from './scripts/move-to-queue.js';
import { refJson, type ExpiryRef } from './scripts/expiry-index.js';
import { ExpiryIndex } from './expiry-index.js';
import { OutcomeCommits } from './outcome-commits.js';
import { outcomeInput, type OutcomeBatch } from './outcome-input.js';

export type { BackoffState, QueueMode, QueueState, QueueStats } from './queue-state.js';
export type { OutcomeBatch } from './outcome-input.js';

/** The in-flight slot used by the bounce-after sweeper in a queue (one sweeper at a time, by its lock). */
export const EXPIRY_SLOT = -1;

export class QueueOps {
  readonly keys: Keys;
  private readonly r: Redis;
  private readonly scripts: QueueScripts;
  private readonly ctx: QueueOpsContext;
  /** The cluster-wide bounce-after index and its sweeper's lock. */
  readonly expiry: ExpiryIndex;
  /** recordOutcomes calls of one event-loop turn, sent together (outcome-commits.ts). */
  private readonly outcomes: OutcomeCommits;

  /**
   * `accounting`: whether outcomes go to the accounting stream (false when no `<acct-file>` would
   * ever read them, so the stream does not fill Redis); default true.
   */
  constructor(redis: Redis, prefix?: string, options: { accounting?: () => boolean } = {}) {
    this.keys = new Keys(prefix);
    this.r = redis;
    this.scripts = scripts(redis);
    this.ctx = { r: redis, keys: this.keys, scripts: this.scripts, accounting: options.accounting ?? (() => true) };
    this.expiry = new ExpiryIndex(redis, prefix);
    this.outcomes = new OutcomeCommits((inputs) => this.scripts.recordOutcomesMany(this.keys, inputs));
  }

  private slotKeys(queue: string, slot: number): SlotKeys {
    return slotKeys(this.keys, queue, slot);
  }

  /** Moves up to `limit` messages whose time has come from the queue to the slot's in-flight set. */
  async claimDue(queue: string, slot: number, now: number, limit: number): Promise<string[]> {
    return (await this.claimShare(queue, slot, now, limit, 1)).ids;
  }

  /**
   * Claims the slot's share of the due mail: due / `spread` messages (the queue's connections),
   * at least one, at most `limit`. `remaining`: due messages left for other connections,
   * CLAIM_PAUSED when the queue is paused (nothing is claimed then). With `run`: SlotLostError once
   * that run no longer holds the slot. With `releaseIfEmpty` (the run's hold; it will end when it
   * finds nothing), an empty claim also lets go of the slot and unlists it, as endRun would.
   * `atLeast`: take that many (at most `limit`) even when the share is smaller (a fast connection).
   */
  async claimShare(queue: string, slot: number, now: number, limit: number, spread: number, run?: string, releaseIfEmpty?: { processId: string; entry: string }, atLeast = 1): Promise<ClaimedShare> {
    const k = this.keys;
    const share = await this.scripts.claimShare(
      { ...this.slotKeys(queue, slot), awake: k.queueAwake(queue), pausedJobs: k.pausedJobs(), messageJobs: k.messageJobs(), processSlots: k.processSlots(releaseIfEmpty?.processId ?? '') },
      now,
      limit,
      Math.max(1, spread),
      run,
      run ? (releaseIfEmpty?.entry ?? '') : '',
      undefined,
      atLeast,
    );
    if (share.remaining === SLOT_LOST) throw new SlotLostError(queue, slot);
    return share;
  }

  /** Gives back what a slot held (its previous holder died, or it stops early): due at `now`. With `run`: SlotLostError once that run no longer holds the slot. */
  async requeueInflight(queue: string, slot: number, now: number, run?: string): Promise<number> {
    const n = await this.scripts.requeue(this.slotKeys(queue, slot), now, run);
    if (n === SLOT_LOST) throw new SlotLostError(queue, slot);
    return n;
  }

  /**
   * Moves the messages the slot claimed to queue `to` (MX rollup), due at `now`, in one script.
   * With `run`: SlotLostError once that run no longer holds the slot (nothing moved then). With
   * `target` (the target's ref and bounce-after), the target enters the bounce-after index.
   */
  async moveToQueue(queue: string, slot: number, ids: readonly string[], to: string, now: number, run?: string, domain?: string, target?: MoveToQueueInput['target']): Promise<number> {
    if (ids.length === 0) return 0;
    const n = await this.scripts.moveToQueue(this.keys, { from: queue, to, slot, ids, now, run, domain, target });
    if (n === SLOT_LOST) throw new SlotLostError(queue, slot);
    return n;
  }

  /** Whether `run` still holds the slot. */
  async holds(queue: string, slot: number, run: string): Promise<boolean> {
    return (await this.r.hget(this.keys.queueSlotHolder(queue, slot), 'run')) === run;
  }

  /**
   * A run lets go of its slot (it ended); with `giveBack`, recovery takes the slot from a run whose
   * process went silent and its in-flight mail goes back to ready. False when `run` did not hold it.
   */
  async releaseSlot(queue: string, slot: number, run: string, now: number, giveBack: boolean): Promise<boolean> {
    return (await this.scripts.releaseSlot(this.slotKeys(queue, slot), now, run, giveBack)) !== SLOT_LOST;
  }

  /**
   * What a token does first, in one script (takeSlot): with a holder, lists the slot under its
   * process (where recovery looks if the process goes silent) and records the run as the slot's
   * holder; gives back what its slot held, and with `expiry` (slot 0) puts the queue in the
   * bounce-after index at its oldest message's receipt + bounce-after, or keeps an earlier score.
   * Answers the queue's state, read after all of that. With `claim`, a queue in a plain state
   * (normal, no retry time, no backoff or recovery) also gets the run's first claim in the same
   * script (`claimed`, as claimShare answers it; SlotLostError as there); otherwise none is made.
   */
  async startToken(
    queue: string,
    slot: number,
    now: number,
    holder?: { processId: string; run: string; entry: string },
    expiry?: { ref: ExpiryRef; bounceAfterMs: number },
    claim?: FirstClaim,
  ): Promise<{ state: QueueState; claimed?: ClaimedShare }> {
    const k = this.keys;
    const keys = {
      ...this.slotKeys(queue, slot),
      processSlots: k.processSlots(holder?.processId ?? ''),
      age: k.queueAge(queue),
      expiryIndex: k.expiryIndex(),
      awake: k.queueAwake(queue),
      pausedJobs: k.pausedJobs(),
      messageJobs: k.messageJobs(),
    };
    const taken = await this.scripts.takeSlot(keys, {
      now,
      ...(holder ? { holder } : {}),
      ...(expiry ? { expiry: { queue: expiry.ref.queue, refJson: refJson(expiry.ref), bounceAfterMs: expiry.bounceAfterMs } } : {}),
      ...(claim ? { claim } : {}),
    });
    const state = parseState(taken.state);
    if (!taken.claimed) return { state };
    if (taken.claimed.remaining === SLOT_LOST) throw new SlotLostError(queue, slot);
    return { state, claimed: taken.claimed };
  }

  /** Ids received before `receivedBefore`, oldest first, skipping `offset` (bounce-after and delete candidates, whatever their state). */
  async receivedBefore(queue: string, receivedBefore: number, limit: number, offset = 0): Promise<string[]> {
    // By rank: O(log N + limit). ZRANGEBYSCORE ... LIMIT offset walks the offset, which made a
    // filtered delete (skipping what it does not name) quadratic on a big queue.
    const flat = await this.r.zrange(this.keys.queueAge(queue), String(offset), String(offset + limit - 1), 'WITHSCORES');
    const ids: string[] = [];
    for (let i = 0; i + 1 < flat.length && Number(flat[i + 1]) <= receivedBefore; i += 2) ids.push(flat[i]!);
    return ids;
  }

  /** How many messages of the queue were received up to `receivedBefore` (its age index). */
  countReceivedBefore(queue: string, receivedBefore: number): Promise<number> {
    return this.r.zcount(this.keys.queueAge(queue), '-inf', String(receivedBefore));
  }

  /** Received time of the oldest message in the queue, if any. */
  async oldest(queue: string): Promise<number | undefined> {
    const first = await this.r.zrange(this.keys.queueAge(queue), '0', '0', 'WITHSCORES');
    return first.length >= 2 ? Number(first[1]) : undefined;
  }

  /** Claims these ids for a slot if they are waiting in the queue (not held by a token). */
  claimIds(queue: string, slot: number, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.scripts.claimIds(this.slotKeys(queue, slot), ids);
  }

  /**
   * A delete claims these ids (waiting ones only; with `job`, only that job's) and reads them in
   * the same script, no body: CLAIM_FOR_DELETE ids a call, the calls pipelined. `busy`: ids not
   * waiting (held by a token, or gone), which a delete looks at again later.
   */
  claimForDelete(queue: string, slot: number, ids: readonly string[], job?: string): Promise<{ busy: number; claimed: DeleteCandidate[] }> {
    return claimForDelete(this.scripts, this.keys, this.slotKeys(queue, slot), ids, job);
  }

  /** Gives claimed mail a delete does not name back to the queue at the score it had. */
  releaseClaimed(queue: string, slot: number, entries: ReadonlyArray<{ id: string; score: number }>): Promise<number> {
    if (entries.length === 0) return Promise.resolve(0);
    return this.scripts.releaseIds(this.slotKeys(queue, slot), entries);
  }

  /** When the next message of the queue is due, if any. */
  async nextDue(queue: string): Promise<number | undefined> {
    const first = await this.r.zrange(this.keys.queueReady(queue), '0', '0', 'WITHSCORES');
    return first.length >= 2 ? Number(first[1]) : undefined;
  }

  /**
   * Marks the queue's token awake (as a claim that took mail does): enqueues add no token meanwhile.
   * The run that set it must claim again before it ends (an empty claim clears the mark).
   */
  async markAwake(queue: string): Promise<void> {
    await this.r.set(this.keys.queueAwake(queue), '1', 'PX', AWAKE_TTL_MS);
  }

  /**
   * Records outcomes of one message in one queue; returns the recipients still pending overall
   * (OUTCOMES_MESSAGE_GONE when the message was gone already). `now` picks the history minute.
   * Idempotent per recipient (see scripts/record-outcomes.ts): each accounting record goes with
   * its recipient (by address, in order) and is appended only when that recipient's outcome is.
   * Group commit: the calls of one event-loop turn go to Redis in one script call (up to
   * OUTCOMES_PER_CALL messages, see outcome-commits.ts); each resolves once its own outcome is
   * written. OutcomeRecordError when it was not (READONLY comes as Redis' own reply error).
   */
  async recordOutcomes(batch: OutcomeBatch, now = Date.now()): Promise<number> {
    const left = await this.outcomes.record(outcomeInput(this.keys, batch, now, this.ctx.accounting()));
    if (left === SLOT_LOST) throw new SlotLostError(batch.queue, batch.slot);
    return left;
  }

  /**
   * A delete finishes messages of one queue its slot claimed, every recipient in `recipients`
   * bounced (see scripts/delete-batch.ts), in one script per DELETE_BATCH messages; returns the
   * recipients bounced now. Accounting records go with their recipients as in recordOutcomes.
   */
  deleteBatch(queue: string, slot: number, batches: readonly DeleteOutcomes[], now: number): Promise<number> {
    return deleteBatch(this.scripts, this.keys, { queue, slot, now, accounting: this.ctx.accounting() }, batches);
  }

  /** Whether outcomes write accounting records (something reads the event stream). */
  recordsWanted(): boolean {
    return this.ctx.accounting();
  }

  /**
   * A delete that needs no records and no DSN finishes waiting mail inside Redis (see
   * scripts/delete-waiting.ts): the ids' jobs are read first (one HMGET), then DELETE_WAITING ids a
   * script call, the calls pipelined. Filters: job, sender (an address, ASCII), received time.
   */
  deleteWaiting(queue: string, ids: readonly string[], filter: Omit<DeleteWaitingInput, 'queue' | 'minuteKey' | 'ids'>, now: number): Promise<DeletedWaiting> {
    return deleteWaiting(this.r, this.scripts, this.keys, { ...filter, queue, ids }, now);
  }

  /** A run ended: it lets go of the slot (if it still holds it) and unlists it from its process, in one round trip. */
  async endRun(queue: string, slot: number, hold: { processId: string; run: string; entry: string }, now: number): Promise<void> {
    const pipeline = this.r.pipeline();
    this.scripts.on(pipeline).releaseSlot(this.slotKeys(queue, slot), now, hold.run, false);
    pipeline.srem(this.keys.processSlots(hold.processId), hold.entry);
    await pipeline.exec();
  }

  /** The slots listed under processes silent since `silentSince` (ms): what recovery takes back. */
  slotsOfSilentProcesses(silentSince: number): Promise<Array<{ processId: string; entry: string; held: HeldSlot }>> {
    return slotsOfSilentProcesses(this.r, this.keys, silentSince);
  }

  /** Unlists a slot from a process (recovery looked at it). */
  async unlistSlot(processId: string, entry: string): Promise<void> {
    await this.r.srem(this.keys.processSlots(processId), entry);
  }

  /**
   * Takes the queue out of the index (and drops its state hash) when it is empty, in normal mode,
   * and was seen so, without new outcomes, by a call at least `idleMs` earlier (see retireQueue).
   */
  retireIfIdle(queue: string, now: number, idleMs: number): Promise<boolean> {
    return this.scripts.retireQueue(this.keys, queue, now, idleMs);
  }

  /** What `vmta show queues` shows for one queue (queue-state.ts). */
  stats(queue: string, now = Date.now()): Promise<QueueStats> {
    return readStats(this.ctx, queue, now);
  }

  state(queue: string): Promise<QueueState> {
    return readState(this.ctx, queue);
  }

  // Mode changes: queue-mode.ts.

  /** Retry mode until `retryAt` (and the `tq` record, if given); returns the consecutive failures. */
  enterRetry(queue: string, retryAt: number, record?: TransientQueueRecord): Promise<number> {
    return mode.enterRetry(this.ctx, queue, retryAt, record);
  }

  /** Back to normal (or to backoff if the queue was in backoff before it failed). */
  leaveRetry(queue: string): Promise<void> {
    return mode.leaveRetry(this.ctx, queue);
  }

  /** Backoff mode (backoff-* limits); true when the queue was not in backoff already. */
  enterBackoff(queue: string, why: { now: number; until?: number; reason: string; rule: string }): Promise<boolean> {
    return mode.enterBackoff(this.ctx, queue, why);
  }

  /** Leaves backoff mode (`onlyIfDue`: only when backoff-to-normal-after has passed); true when it did. */
  leaveBackoff(queue: string, now: number, onlyIfDue = false): Promise<boolean> {
    return mode.leaveBackoff(this.ctx, queue, now, onlyIfDue);
  }

  pause(queue: string): Promise<void> {
    return mode.pause(this.ctx, queue);
  }

  /** Resumes a paused queue (into retry mode again if its retry time is still ahead). */
  resume(queue: string, now = Date.now()): Promise<void> {
    return mode.resume(this.ctx, queue, now);
  }
}
