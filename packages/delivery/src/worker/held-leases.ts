/**
 * The VMTA slot leases this process holds (one per open connection), re-asserted at once when its
 * Redis connection is ready again after a reconnect. A Sentinel failover is followed by
 * reconnecting (queue/src/redis.ts), and a lease written to the old primary but not replicated is
 * gone on the new one: until its next renewal (a third of the lease) another process could take
 * the same slot, one connection counted twice. At the reconnect each lease is kept, re-added into
 * a free slot, or found lost (all slots held by others): lost cuts its connection (VmtaLease.onLost).
 */
import type { LeaseReassertion } from '@vmta/queue';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** A held lease as re-asserted: skipped when it was released or lost already. */
export interface ReassertableLease {
  readonly vmta: string;
  reassert(cap: number): Promise<LeaseReassertion | 'skipped'>;
}

export type ReassertCounts = Record<LeaseReassertion | 'failed', number>;

export class HeldLeases {
  private readonly leases = new Set<ReassertableLease>();

  /** `cap`: the VMTA's max-smtp-out now (Infinity without one), read at each re-assertion. */
  constructor(private readonly cap: (vmta: string) => number) {}

  add(lease: ReassertableLease): void {
    this.leases.add(lease);
  }

  delete(lease: ReassertableLease): void {
    this.leases.delete(lease);
  }

  get size(): number {
    return this.leases.size;
  }

  /** Every held lease at once (one script call each, pipelined on the connection). */
  async reassertAll(): Promise<ReassertCounts> {
    const counts: ReassertCounts = { kept: 0, 're-added': 0, lost: 0, failed: 0 };
    const states = await Promise.all([...this.leases].map((l) => l.reassert(this.cap(l.vmta)).catch(() => 'failed' as const)));
    for (const s of states) if (s !== 'skipped') counts[s] += 1;
    return counts;
  }
}

/**
 * Re-asserts the held leases each time `redis` is ready (its first ready holds none). A failed
 * call leaves the lease to its renewal, as before. Returns the stop.
 */
export function reassertOnReady(redis: Redis, held: HeldLeases, log: Logger): () => void {
  const onReady = () => {
    if (held.size === 0) return;
    held
      .reassertAll()
      .then((counts) => {
        const level = counts.lost + counts['re-added'] > 0 ? 'warn' : 'info';
        log[level]({ event: 'leases-reasserted', ...counts }, 'VMTA slot leases re-asserted after a Redis reconnect');
      })
      .catch((err: Error) => log.warn({ event: 'leases-reassert-failed', err: err.message }, 'could not re-assert the VMTA slot leases'));
  };
  redis.on('ready', onReady);
  return () => void redis.off('ready', onReady);
}
