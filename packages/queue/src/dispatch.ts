/**
 * Dispatch tokens: BullMQ jobs that are permissions to hold one connection for
 * one mail queue (`<queue>#<slot>`), not messages; one BullMQ queue (lane) per
 * VMTA, plus a shared lane for deletes. See docs/design/queues.md. A waiting
 * queue is one delayed BullMQ job: no timer, no polling.
 */
import type { MessageFilter } from './message-filter.js';
import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { Keys } from './keys.js';
import { TOKEN_DELAYED, TOKEN_GONE } from './scripts/constants.js';
import { scripts, type QueueScripts, type TokenWakeKeys } from './scripts/index.js';

/** The shared lane: deletes (and old bounce-after sweep jobs), which any delivery process can run. */
export const DISPATCH_QUEUE = 'dispatch';

/**
 * The lane of a VMTA: its connection tokens, taken only by processes that
 * serve the VMTA (whose host has its source addresses). With one lane for
 * everything, a token would land on hosts that cannot send it and bounce
 * between them.
 */
export function laneName(vmta: string): string {
  return `${DISPATCH_QUEUE}@${encodeURIComponent(vmta.toLowerCase())}`;
}

/** A mail queue as delivery needs it: its name and the two parts it is made of. */
export interface QueueRef {
  queue: string;
  domain: string;
  vmta: string;
}

export interface TokenData extends QueueRef {
  slot: number;
  /**
   * 'purge': an operator's delete of the queue's mail; 'expire': a bounce-after sweep job left by a
   * version before the cluster-wide sweeper (run once, then gone). Neither is a connection token.
   */
  kind?: 'expire' | 'purge';
  /** purge: tell each sender with a DSN. */
  dsn?: boolean;
  /** purge: mail received up to this time (ms) goes, mail that arrived after the request stays. */
  before?: number;
  /** purge for a bounce-queue rule of an smtp-pattern-list: bounce with this reply, naming the rule (file:line). */
  bounce?: { code: number; response: string; rule: string };
  /** purge: only the mail (and recipients) this names: job, sender, recipient (see message-filter.ts). */
  filter?: Pick<MessageFilter, 'job' | 'orig' | 'rcpt'>;
}

/** A delete request as queued for delivery processes. */
export interface PurgeRequest {
  jobId: string;
  slot: number;
  before: number;
}

/**
 * In-flight slot of the n-th purge request: below EXPIRY_SLOT (-1), one of
 * its own per request, so two deletes of one queue never give back each
 * other's mail when one of them restarts.
 */
export function purgeSlot(n: number): number {
  return -1 - n;
}

/** BullMQ job ids may not contain ':' (IPv6 literals do): the id is the encoded queue name and slot. */
export function tokenId(queue: string, slot: number): string {
  return `t!${encodeURIComponent(queue)}!${slot}`;
}

/**
 * The job id of a queue's bounce-after sweep as versions before the cluster-wide sweeper made it
 * (one delayed job per queue): such jobs still run once after an upgrade (delivery's expiry.ts).
 */
export function expiryJobId(queue: string): string {
  return `x!${encodeURIComponent(queue)}`;
}

/** How many adds wake tries when each one met a token that was just ending. */
const WAKE_ATTEMPTS = 5;

export class Dispatcher {
  /** The shared lane (purge jobs, and expire jobs of older versions). */
  readonly bull: Queue<TokenData>;
  private readonly keys: Keys;
  private readonly lanes = new Map<string, Queue<TokenData>>();
  /**
   * BullMQ defines its ~40 Lua scripts on the connection it is given, and ioredis copies every
   * script defined on a connection onto each MULTI it starts: on the message store's connection
   * that was about a tenth of the listener's CPU. BullMQ gets a connection of its own.
   */
  private readonly bullRedis: Redis;
  private readonly scripts: QueueScripts;

  constructor(
    private readonly redis: Redis,
    prefix?: string,
  ) {
    this.keys = new Keys(prefix);
    this.scripts = scripts(redis);
    this.bullRedis = redis.duplicate();
    // Errors surface on the main connection (the caller listens there); this one only reconnects.
    this.bullRedis.on('error', () => undefined);
    this.bull = this.open(DISPATCH_QUEUE);
  }

  private open(name: string): Queue<TokenData> {
    return new Queue<TokenData>(name, {
      connection: this.bullRedis,
      prefix: this.keys.bullPrefix(),
      // A failed token must not keep its jobId: a later add with that id would be ignored.
      defaultJobOptions: { removeOnComplete: true, removeOnFail: true, attempts: 1 },
    });
  }

  /** The BullMQ queue holding the connection tokens of a VMTA's mail queues. */
  lane(vmta: string): Queue<TokenData> {
    const name = laneName(vmta);
    let lane = this.lanes.get(name);
    if (!lane) {
      lane = this.open(name);
      this.lanes.set(name, lane);
    }
    return lane;
  }

  /** The token job of a queue's connection slot, if it exists. */
  tokenJob(ref: Pick<QueueRef, 'queue' | 'vmta'>, slot = 0): Promise<Job<TokenData> | undefined> {
    return this.lane(ref.vmta).getJob(tokenId(ref.queue, slot));
  }

  /**
   * Makes sure a token exists for the queue's slot. A token that is only
   * sleeping until a recipient is due is woken; one in retry mode or for a
   * paused queue stays as it is. `mark`: the enqueue's wake mark of the queue, cleared once the
   * token is there.
   *
   * The add is deduplicated by job id, so an add that meets the old token as it ends adds
   * nothing, and the token is gone a moment later: marking the queue awake then would stall it
   * until the wake sweep (seen in the senders bench: 26 s with no delivery). So the state is
   * looked at after the add (with the awake and wake marks, in one script: tokenWake), and a
   * token that is gone is added again.
   */
  async wake(ref: QueueRef, slot = 0, mark?: string): Promise<void> {
    const { queue } = ref;
    const jobId = tokenId(queue, slot);
    const lane = this.lane(ref.vmta);
    for (let attempt = 1; ; attempt++) {
      const job = await lane.add(queue, { ...ref, slot }, { jobId });
      const state = await this.scripts.tokenWake(this.tokenKeys(lane, queue, jobId), jobId, mark);
      if (state === TOKEN_GONE) {
        // Throwing leaves the enqueue's wake mark in place: the sweep tries again.
        if (attempt >= WAKE_ATTEMPTS) throw new Error(`token ${jobId} could not be added: it was gone after each of ${attempt} adds`);
        await new Promise((resolve) => setTimeout(resolve, attempt * 5));
        continue;
      }
      if (state === TOKEN_DELAYED) await job.promote().catch(() => undefined);
      return;
    }
  }

  private tokenKeys(lane: Queue<TokenData>, queue: string, jobId: string): TokenWakeKeys {
    const k = lane.keys;
    return { job: lane.toKey(jobId), active: k.active!, delayed: k.delayed!, completed: k.completed!, failed: k.failed!, state: this.keys.queueState(queue), awake: this.keys.queueAwake(queue), wakeSet: this.keys.wakeSet() };
  }

  /** A token that failed (an unexpected error) is gone: add it again after `delayMs`. */
  async rewakeLater(ref: QueueRef, slot: number, delayMs: number): Promise<void> {
    await this.lane(ref.vmta).add(ref.queue, { ...ref, slot }, { jobId: tokenId(ref.queue, slot), delay: delayMs });
  }

  /**
   * Asks delivery processes to delete the queue's mail received up to `before`
   * (see packages/delivery/src/worker/purge.ts). Any delivery process takes it:
   * deleting needs no source address.
   */
  async purge(ref: QueueRef, options: { dsn: boolean; before?: number; bounce?: TokenData['bounce']; filter?: TokenData['filter'] }): Promise<PurgeRequest> {
    const n = await this.redis.incr(this.keys.purgeSequence());
    const slot = purgeSlot(n);
    const before = options.before ?? Date.now();
    const jobId = `p!${encodeURIComponent(ref.queue)}!${n}`;
    const data: TokenData = { queue: ref.queue, domain: ref.domain, vmta: ref.vmta, slot, kind: 'purge', dsn: options.dsn, before, ...(options.bounce ? { bounce: options.bounce } : {}), ...(options.filter ? { filter: options.filter } : {}) };
    await this.bull.add(`${ref.queue} delete`, data, { jobId });
    return { jobId, slot, before };
  }

  /**
   * Wakes every queue an enqueue marked, then unmarks it (a crash in between only repeats the
   * wake). A marked queue with no waiting mail only loses its mark (scripts/drop-idle-wake-mark.ts):
   * those looks go in one pipeline. Returns how many queues were woken.
   */
  async sweepWakes(): Promise<number> {
    const marks = await this.redis.smembers(this.keys.wakeSet());
    if (marks.length === 0) return 0;
    const refs = marks.map((mark) => JSON.parse(mark) as QueueRef);
    const pipeline = this.redis.pipeline();
    const looks = this.scripts.on(pipeline);
    refs.forEach((ref, i) => looks.dropIdleWakeMark(this.keys.queueReady(ref.queue), this.keys.wakeSet(), marks[i]!));
    const replies = (await pipeline.exec()) ?? [];
    let woken = 0;
    for (const [i, ref] of refs.entries()) {
      const [err, dropped] = replies[i] ?? [new Error('no reply')];
      if (!err && Number(dropped) === 1) continue;
      await this.wake(ref, 0, marks[i]);
      woken++;
    }
    return woken;
  }

  async close(): Promise<void> {
    await Promise.all([this.bull, ...this.lanes.values()].map((q) => q.close()));
    this.lanes.clear();
    this.bullRedis.disconnect();
  }
}
