/**
 * The Lua a delete script ends with (deleteBatch, deleteWaiting): `total` recipients counted bounced
 * once per call in the queue's state (queued down, bounced up), the totals and the minute counters,
 * and `byJob` (job stats key name -> recipients) in each job's counters.
 */
import { JOB_STATS_TTL_SECONDS, MINUTE_COUNTERS_TTL_SECONDS } from './constants.js';

/** Lua text; `state`, `totals`, `minute`: the KEYS expressions of those keys. */
export function bouncedCountersLua(state: string, totals: string, minute: string): string {
  return `
if total > 0 then
  redis.call('HINCRBY', ${state}, 'queued', -total)
  redis.call('HINCRBY', ${state}, 'bounced', total)
  redis.call('HINCRBY', ${totals}, 'bounced', total)
  redis.call('HINCRBY', ${minute}, 'bounced', total)
  redis.call('EXPIRE', ${minute}, ${MINUTE_COUNTERS_TTL_SECONDS})
end
for name, n in pairs(byJob) do
  redis.call('HINCRBY', name, 'bounced', n)
  redis.call('EXPIRE', name, ${JOB_STATS_TTL_SECONDS})
end`;
}
