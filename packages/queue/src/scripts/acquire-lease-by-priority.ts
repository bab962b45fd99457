/**
 * acquireLeaseByPriority: acquireLease for a VMTA's connection slots (max-smtp-out of the
 * <virtual-mta>) with queue-priority: a slot that comes free goes to the highest-priority queue
 * that is waiting for one. A caller gets a slot only when more slots are free than there are
 * live waiters of a higher priority; otherwise it is recorded as a waiter (its priority, and
 * until when its wait counts: a waiter that stops asking stops counting then) and refused.
 * Taking a slot ends the holder's wait. Equal priorities (the default, 50 for every queue)
 * behave exactly as acquireLease: first come, first served.
 *
 * KEYS: 1 leases, 2 waiters (holder -> priority), 3 wait-until (holder -> ms).
 * ARGV: 1 now (ms), 2 leaseMs, 3 limit ('inf' = no cap), 4 holder, 5 priority, 6 waitMs.
 * Returns: LEASE_HELD, or LEASE_NOT_HELD (the caller now waits, or every slot is held).
 */
import { LEASE_HELD, LEASE_NOT_HELD } from './constants.js';
import { DROP_EXPIRED_LEASES, EXPIRE_WITH_LAST_LEASE } from './acquire-lease.js';
import { defineScript } from './script.js';

const lua = `${DROP_EXPIRED_LEASES}
local gone = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
for _, h in ipairs(gone) do
  redis.call('ZREM', KEYS[3], h)
  redis.call('ZREM', KEYS[2], h)
end
local holder = ARGV[4]
if not redis.call('ZSCORE', KEYS[1], holder) then
  local limit = ARGV[3] == 'inf' and math.huge or tonumber(ARGV[3])
  local free = limit - redis.call('ZCARD', KEYS[1])
  local ahead = redis.call('ZCOUNT', KEYS[2], '(' .. ARGV[5], '+inf')
  if free <= ahead then
    local waitMs = tonumber(ARGV[6])
    redis.call('ZADD', KEYS[2], ARGV[5], holder)
    redis.call('ZADD', KEYS[3], now + waitMs, holder)
    redis.call('PEXPIRE', KEYS[2], waitMs)
    redis.call('PEXPIRE', KEYS[3], waitMs)
    return ${LEASE_NOT_HELD}
  end
  redis.call('ZREM', KEYS[2], holder)
  redis.call('ZREM', KEYS[3], holder)
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), holder)${EXPIRE_WITH_LAST_LEASE}
return ${LEASE_HELD}`;

export interface PriorityLeaseInput {
  leases: string;
  waiters: string;
  waitUntil: string;
  now: number;
  leaseMs: number;
  limit: string;
  holder: string;
  priority: number;
  waitMs: number;
}

export const acquireLeaseByPriority = defineScript({
  name: 'vmtaAcquireLeaseByPriority',
  numberOfKeys: 3,
  lua,
  args: (i: PriorityLeaseInput) => [i.leases, i.waiters, i.waitUntil, i.now, i.leaseMs, i.limit, i.holder, i.priority, i.waitMs],
  reply: (raw) => raw === LEASE_HELD,
});
