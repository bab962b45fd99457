/**
 * How a token run stops early: three exceptions (HandBack, LimitWait, QueueFailure) and a VMTA
 * this host cannot serve (SOURCE_NONE) become a sleep of the token in BullMQ's delayed set,
 * after the mail it held goes back to the queue.
 */
import { DelayedError, type Job } from 'bullmq';
import type { DomainPolicy } from '@vmta/config';
import { SlotLostError, transientQueueRecord, type QueueFailureFacts, type QueueOps, type TokenData } from '@vmta/queue';
import type { Logger } from 'pino';
import { SmtpClientError } from '../smtp-client/errors.js';
import { nextQueueRetry } from '../stages/retry-schedule.js';

const NOT_LOCAL_RETRY_MS = 60_000;

/** The token goes to BullMQ's delayed set until `until` (at least 1 ms from now). */
export async function sleep(job: Job<TokenData>, token: string | undefined, until: number): Promise<never> {
  await job.moveToDelayed(Math.max(until, Date.now() + 1), token);
  throw new DelayedError();
}

/** The process is stopping: the token goes back (due at once) for another process. */
export class HandBack extends Error {}

/**
 * The queue cannot be served now (DNS tempfail, every host failed): the queue goes into retry mode, with
 * a `tq` accounting record of `facts` (status `4.0.0` and the reason when the failure has no more).
 */
export class QueueFailure extends Error {
  readonly facts: QueueFailureFacts;
  constructor(
    readonly reason: string,
    facts?: Partial<QueueFailureFacts>,
  ) {
    super(reason);
    this.facts = { dsnStatus: '4.0.0', dsnDiag: reason, ...facts };
  }
}

/** A limit says not now: the token sleeps until `until`, the queue stays in its mode. */
export class LimitWait extends Error {
  constructor(
    readonly until: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export interface SleepContext {
  job: Job<TokenData>;
  token: string | undefined;
  ops: QueueOps;
  queue: string;
  /** The token's VMTA (the tq record's `vmta`). */
  vmta: string;
  slot: number;
  now: () => number;
  log: Logger;
  /** The domain policy's retry-after (ms per failure). */
  retryAfterMs: DomainPolicy['retry-after'];
  /** Failures of the queue so far (its retry mode counts them). */
  failures: number;
  /** The run holding the slot, when fenced (see slot-hold.ts). */
  run?: string;
}

/** Gives the token's mail back and puts the token to sleep for a known reason to stop; any other error is thrown again. */
export async function sleepOrRethrow(err: unknown, ctx: SleepContext): Promise<never> {
  const { log } = ctx;
  if (err instanceof SlotLostError) return slotLost(log);
  try {
    return await handBackAndSleep(err, ctx);
  } catch (e) {
    // The slot was taken while the run stopped (its hand-back was refused): the same as above.
    if (e instanceof SlotLostError) return slotLost(log);
    throw e;
  }
}

/** Recovery gave the slot's mail back and handed the token job to another run: the run touches neither. */
function slotLost(log: Logger): never {
  log.warn({ event: 'slot-lost' }, 'this run lost its connection slot (its process was silent too long): stopping');
  throw new DelayedError();
}

async function handBackAndSleep(err: unknown, ctx: SleepContext): Promise<never> {
  const { job, token, ops, queue, slot, now, log, run } = ctx;
  if (err instanceof HandBack) {
    await ops.requeueInflight(queue, slot, now(), run);
    log.info({ event: 'token-handed-back' }, 'stopping: mail handed back to the queue');
    return await sleep(job, token, now());
  }
  if (err instanceof LimitWait) {
    await ops.requeueInflight(queue, slot, now(), run);
    log.debug({ event: 'limit-wait', reason: err.reason, until: new Date(err.until).toISOString() }, 'waiting for a limit');
    return await sleep(job, token, err.until);
  }
  if (err instanceof SmtpClientError && err.code === 'SOURCE_NONE') {
    // Not this host's VMTA: give the mail back and let a host that has the address take the token.
    await ops.requeueInflight(queue, slot, now(), run);
    log.warn({ event: 'source-not-local', err: err.message }, 'this host cannot serve the VMTA');
    return await sleep(job, token, now() + NOT_LOCAL_RETRY_MS);
  }
  if (!(err instanceof QueueFailure)) throw err;
  const retryAt = now() + nextQueueRetry(ctx.retryAfterMs, ctx.failures + 1);
  await ops.enterRetry(queue, retryAt, transientQueueRecord(queue, ctx.vmta, err.facts, new Date(now()).toISOString()));
  await ops.requeueInflight(queue, slot, now(), run);
  log.warn({ event: 'queue-retry', reason: err.reason, retryAt: new Date(retryAt).toISOString() }, 'queue in retry mode');
  return await sleep(job, token, retryAt);
}
