/**
 * Cluster-wide connection semaphore with leases (`max-smtp-out` of a VMTA, all
 * its queues together; usable per queue too). One sorted set per scope:
 * member = holder id, score = lease expiry (ms). Every call first drops expired
 * leases, so the slots of a process killed with -9 come back after `leaseMs`.
 * A holder keeps its slot by calling renew() well inside leaseMs (e.g. every
 * leaseMs / 3) and gives it back with release().
 *
 * Each operation is one Lua script call or one Redis command, hence atomic
 * across every delivery process on every host.
 */
import type { Redis } from 'ioredis';
import { Keys } from './keys.js';
import { scripts, type LeaseReassertion, type QueueScripts } from './scripts/index.js';

/** What a connection limit applies to. */
export type ConnectionScope = { kind: 'queue'; queue: string } | { kind: 'vmta'; vmta: string };

function checkLease(leaseMs: number): void {
  if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw new RangeError(`leaseMs must be a positive number, got ${leaseMs}`);
}

/**
 * queue-priority for a VMTA's slots (scripts/acquire-lease-by-priority.ts): a refused caller waits
 * with this priority for `waitMs` (it must ask again before then to keep its place).
 */
export interface PriorityWait {
  priority: number;
  waitMs: number;
}

export class ConnectionLimiter {
  readonly keys: Keys;
  private readonly scripts: QueueScripts;

  constructor(
    private readonly r: Redis,
    prefix?: string,
  ) {
    this.keys = new Keys(prefix);
    this.scripts = scripts(r);
  }

  private key(scope: ConnectionScope): string {
    return scope.kind === 'queue' ? this.keys.queueConnections(scope.queue) : this.keys.vmtaConnections(scope.vmta);
  }

  /**
   * Takes one of `limit` slots for `holder` (unique per connection, e.g.
   * `<host>:<pid>:<queue>#<slot>`) until `now + leaseMs`. False when all slots
   * are held by live leases. `limit` 0 (or less) means no connection at all;
   * `Infinity` means no cap (the lease is still recorded, so count() stays right).
   */
  async acquire(scope: ConnectionScope, holder: string, limit: number, leaseMs: number, now = Date.now(), waiting?: PriorityWait): Promise<boolean> {
    checkLease(leaseMs);
    if (Number.isNaN(limit)) throw new RangeError('limit must be a number');
    if (limit <= 0) return false;
    const cap = limit === Infinity ? 'inf' : String(Math.floor(limit));
    if (waiting === undefined || scope.kind !== 'vmta' || cap === 'inf') return this.scripts.acquireLease(this.key(scope), now, leaseMs, cap, holder);
    const { vmta } = scope;
    const waiters = this.keys.vmtaConnectionWaiters(vmta);
    const waitUntil = this.keys.vmtaConnectionWaitUntil(vmta);
    return this.scripts.acquireLeaseByPriority({ leases: this.key(scope), waiters, waitUntil, now, leaseMs, limit: cap, holder, ...waiting });
  }

  /** Extends a live lease to `now + leaseMs`. False when it was lost: stop using the connection. */
  async renew(scope: ConnectionScope, holder: string, leaseMs: number, now = Date.now()): Promise<boolean> {
    checkLease(leaseMs);
    return this.scripts.renewLease(this.key(scope), now, leaseMs, holder);
  }

  /**
   * For a lease `holder` believes it holds, after a reconnect (maybe a failover that lost it):
   * 'kept' (renewed to `now + leaseMs`), 're-added' (it was gone and a slot was free), or 'lost'
   * (gone, and all `limit` slots are held by others: stop using the connection). A lease still
   * there is kept even when `limit` was lowered below the holders already in.
   */
  async reassert(scope: ConnectionScope, holder: string, limit: number, leaseMs: number, now = Date.now()): Promise<LeaseReassertion> {
    checkLease(leaseMs);
    if (Number.isNaN(limit)) throw new RangeError('limit must be a number');
    const cap = limit === Infinity ? 'inf' : String(Math.max(0, Math.floor(limit)));
    return this.scripts.reassertLease(this.key(scope), now, leaseMs, cap, holder);
  }

  /**
   * WAIT for a lease just taken (the writes so far on this connection): 'acked' when `replicas`
   * replicas have it within `timeoutMs`; 'lagging' when a replica is linked but did not acknowledge
   * (a failover now could promote it without the lease, freeing the slot for a second connection);
   * 'none' when the primary has no replica linked at all (degraded: nothing to wait for).
   */
  async replicated(replicas: number, timeoutMs: number): Promise<'acked' | 'lagging' | 'none'> {
    if (replicas <= 0 || (await this.r.wait(replicas, timeoutMs)) >= replicas) return 'acked';
    const role = (await this.r.call('ROLE')) as [string, number, unknown[]?];
    return role[0] === 'master' && (role[2]?.length ?? 0) === 0 ? 'none' : 'lagging';
  }

  /** Gives the slot back. True when the holder held it (false: already released or expired and reaped). */
  async release(scope: ConnectionScope, holder: string): Promise<boolean> {
    return (await this.r.zrem(this.key(scope), holder)) === 1;
  }

  /** Live leases of the scope at `now` (expired ones are not counted, even before they are reaped). */
  count(scope: ConnectionScope, now = Date.now()): Promise<number> {
    return this.r.zcount(this.key(scope), `(${now}`, '+inf');
  }
}
