/**
 * acquireLease: takes one of `limit` connection slots of a scope (a sorted set: member = holder,
 * score = lease expiry in ms) after dropping expired leases. A holder that already holds a live
 * lease gets it renewed and LEASE_HELD (a retried call after a timeout must not take a second
 * slot), even if the limit was lowered since: lowering a limit takes effect as leases are released.
 * The key expires with its last lease.
 *
 * KEYS: 1 leases.
 * ARGV: 1 now (ms), 2 leaseMs, 3 limit ('inf' = no cap), 4 holder.
 * Returns: LEASE_HELD (the holder held it already: renewed), LEASE_TAKEN (taken now), or
 * LEASE_NOT_HELD when every slot is held by a live lease.
 */
import { LEASE_HELD, LEASE_NOT_HELD, LEASE_TAKEN } from './constants.js';
import { defineScript } from './script.js';

/** Lua shared with renewLease: `now` from ARGV[1], and the leases expired by then dropped. */
export const DROP_EXPIRED_LEASES = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)`;

/** Lua shared with renewLease: the key expires with its last lease. */
export const EXPIRE_WITH_LAST_LEASE = `
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil(tonumber(last[2]) - now)))`;

/** Shared with reassertLease (the same step, read as kept / re-added / lost). */
export const ACQUIRE_LEASE_LUA = `${DROP_EXPIRED_LEASES}
local limit = ARGV[3] == 'inf' and math.huge or tonumber(ARGV[3])
local held = redis.call('ZSCORE', KEYS[1], ARGV[4])
if not held and redis.call('ZCARD', KEYS[1]) >= limit then
  return ${LEASE_NOT_HELD}
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[4])${EXPIRE_WITH_LAST_LEASE}
return held and ${LEASE_HELD} or ${LEASE_TAKEN}`;

export const acquireLease = defineScript({
  name: 'vmtaAcquireLease',
  numberOfKeys: 1,
  lua: ACQUIRE_LEASE_LUA,
  args: (key: string, now: number, leaseMs: number, limit: string, holder: string) => [key, now, leaseMs, limit, holder],
  reply: (raw) => raw !== LEASE_NOT_HELD,
});
