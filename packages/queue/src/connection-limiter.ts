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

/** What a connection limit applies to. */
export type ConnectionScope = { kind: 'queue'; queue: string } | { kind: 'vmta'; vmta: string };

// KEYS: leases. ARGV: now, leaseMs, limit ('inf' = no cap), holder.
// A holder that already holds a live lease gets it renewed and true (a retried
// call after a timeout must not take a second slot), even if the limit was
// lowered since: lowering a limit takes effect as leases are released.
const ACQUIRE = `
local now = tonumber(ARGV[1])
local limit = ARGV[3] == 'inf' and math.huge or tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[4]) and redis.call('ZCARD', KEYS[1]) >= limit then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[4])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil(tonumber(last[2]) - now)))
return 1`;

// KEYS: leases. ARGV: now, leaseMs, holder. 0 when the lease was lost (expired or released).
const RENEW = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[3])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil(tonumber(last[2]) - now)))
return 1`;

type WithScripts = Redis & {
  vmtaConnAcquire(key: string, now: number, leaseMs: number, limit: string, holder: string): Promise<number>;
  vmtaConnRenew(key: string, now: number, leaseMs: number, holder: string): Promise<number>;
};

function checkLease(leaseMs: number): void {
  if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw new RangeError(`leaseMs must be a positive number, got ${leaseMs}`);
}

export class ConnectionLimiter {
  readonly keys: Keys;
  private readonly r: WithScripts;

  constructor(redis: Redis, prefix?: string) {
    this.keys = new Keys(prefix);
    if (!('vmtaConnAcquire' in redis)) {
      redis.defineCommand('vmtaConnAcquire', { numberOfKeys: 1, lua: ACQUIRE });
      redis.defineCommand('vmtaConnRenew', { numberOfKeys: 1, lua: RENEW });
    }
    this.r = redis as WithScripts;
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
  async acquire(scope: ConnectionScope, holder: string, limit: number, leaseMs: number, now = Date.now()): Promise<boolean> {
    checkLease(leaseMs);
    if (Number.isNaN(limit)) throw new RangeError('limit must be a number');
    if (limit <= 0) return false;
    const cap = limit === Infinity ? 'inf' : String(Math.floor(limit));
    return (await this.r.vmtaConnAcquire(this.key(scope), now, leaseMs, cap, holder)) === 1;
  }

  /** Extends a live lease to `now + leaseMs`. False when it was lost: stop using the connection. */
  async renew(scope: ConnectionScope, holder: string, leaseMs: number, now = Date.now()): Promise<boolean> {
    checkLease(leaseMs);
    return (await this.r.vmtaConnRenew(this.key(scope), now, leaseMs, holder)) === 1;
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
