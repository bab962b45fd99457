/**
 * The cluster-wide bounce-after sweeper: every delivery process runs the timer, one at a time
 * sweeps (the process holding the lock Keys#expirySweepLock: SET NX PX, renewed before each queue
 * and each batch). Each tick it takes the due queues of the index (score at or before now,
 * earliest first, a page at a time) and sweeps each (expiry.ts). A process that lost its lock, or
 * cannot renew it, stops before its next queue or batch; what it had claimed stays in the sweep
 * slot and the next sweep of that queue gives it back first. A killed holder's lock expires after
 * SWEEP_LOCK_TTL_MS; the next holder finds the queue it was sweeping still due (its score is set
 * only after its sweep).
 *
 * A process that takes the lock, and the holder after a reload, first lowers every indexed queue's
 * score to what the current bounce-after gives (ExpiryIndex#reindex): a shorter bounce-after is
 * honoured for mail already queued; a longer one is honoured by each sweep (it re-scores).
 */
import { randomUUID } from 'node:crypto';
import { domainPolicy } from '@vmta/config';
import { HELD_RECHECK_MS, sweepQueue, type SweepDeps } from './expiry.js';

/** How often each delivery process looks for due queues (and takes the lock when free). */
export const EXPIRY_SWEEP_MS = 1_000;
/** The lock lapses this long after its holder's last renewal (a killed sweeper's queues wait this long). */
export const SWEEP_LOCK_TTL_MS = 10_000;
/** Due queues read at a time. */
const DUE_PAGE = 100;

export class ExpirySweeper {
  /** This process's name in the lock. */
  readonly owner = randomUUID();
  private running: Promise<number> | undefined;
  private closed = false;
  /** This process held the lock at its last look. */
  private held = false;
  /** Reindex before the next sweep: set at start, at each reload, and when the lock was lost. */
  private reindexWanted = true;

  constructor(
    private readonly deps: SweepDeps,
    private readonly options: { lockTtlMs?: number } = {},
  ) {}

  /** One tick: when this process holds (or takes) the lock, sweeps every due queue; returns the queues swept. */
  async tick(): Promise<number> {
    if (this.running || this.closed) return 0;
    this.running = this.sweepDue();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  /** The config changed: its bounce-after may be shorter. */
  reload(): void {
    this.reindexWanted = true;
  }

  /** Closing: stops before the next queue or batch, then lets go of the lock (another process takes over at its next tick). */
  async release(): Promise<void> {
    this.closed = true;
    await this.running?.catch(() => undefined);
    await this.deps.ops.expiry.renew(this.owner, 1);
  }

  private async stillOurs(): Promise<boolean> {
    if (this.closed) return false;
    const index = this.deps.ops.expiry;
    const ttl = this.options.lockTtlMs ?? SWEEP_LOCK_TTL_MS;
    // The holder renews (one script); the others only try to take a free lock (one SET NX).
    const ours = (this.held && (await index.renew(this.owner, ttl))) || (await index.lock(this.owner, ttl));
    if (ours !== this.held) {
      this.held = ours;
      if (!ours) this.reindexWanted = true;
      this.deps.log.info({ event: ours ? 'expiry-sweeper-lock-taken' : 'expiry-sweeper-lock-lost', owner: this.owner }, ours ? 'this process sweeps bounce-after' : 'another process sweeps bounce-after now');
    }
    return ours;
  }

  private async sweepDue(): Promise<number> {
    const { ops, log } = this.deps;
    const now = this.deps.now ?? Date.now;
    const seen = new Set<string>();
    let swept = 0;
    if (!(await this.stillOurs())) return 0;
    if (this.reindexWanted) {
      this.reindexWanted = false;
      const config = this.deps.config();
      const queues = await ops.expiry.reindex((ref) => domainPolicy(config, ref.domain, ref.vmta).settings['bounce-after']);
      log.info({ event: 'expiry-reindexed', queues }, 'bounce-after index scored under the current config');
    }
    for (;;) {
      const due = (await ops.expiry.due(now(), DUE_PAGE + seen.size)).filter((q) => !seen.has(q));
      if (due.length === 0) return swept;
      for (const queue of due) {
        if (!(await this.stillOurs())) return swept;
        seen.add(queue);
        try {
          const ref = await ops.expiry.ref(queue);
          if (!ref) {
            // Never expected (every script that indexes a queue stores its ref): look again later; its slot-0 token stores it.
            log.warn({ event: 'expiry-ref-missing', queue }, 'a queue in the bounce-after index has no ref: looked at again later');
            await ops.expiry.rescore(queue, 0, now(), HELD_RECHECK_MS);
            continue;
          }
          if ((await sweepQueue(ref, this.deps, () => this.stillOurs())) === undefined) return swept;
          swept++;
        } catch (err) {
          // Left due: the next tick tries again.
          log.warn({ event: 'expiry-sweep-failed', queue, err: (err as Error).message }, 'bounce-after sweep of a queue failed');
        }
      }
    }
  }
}
