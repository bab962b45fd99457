/**
 * retireQueue: takes an empty, idle queue out of the queue index and drops its state hash, so
 * /queues, /metrics and the monitor stop listing every domain ever seen. Empty means no entry in
 * `ready` or `age` (a message of the queue, claimed or not, stays in `age` until it is final) and
 * no in-flight count; only a queue in normal mode goes (paused and retry keep their state). Idle
 * means the queue was seen empty with the same outcome counters (delivered/bounced/deferred) at a
 * call at least `idleMs` earlier: the first call that finds it empty marks it (`idleSince`,
 * `idleMark` in the state hash), a change of the counters or mail in the queue starts over.
 *
 * Everything is checked inside the script, so it cannot race an enqueue: an enqueue before it
 * leaves the queue non-empty (nothing happens), an enqueue after it adds the queue to the index and
 * counts in a new state hash, as for a queue never seen. Cluster totals are separate and untouched.
 *
 * A retired queue also leaves the bounce-after index (it holds no mail; an entry left there would
 * outlive the `ref` its state hash kept).
 *
 * KEYS: 1 queue index, 2 ready, 3 age, 4 state, 5 bounce-after index.
 * ARGV: 1 queue name, 2 now (ms), 3 idleMs.
 * Returns: QUEUE_RETIRED, or QUEUE_KEPT (not empty, not normal, or not idle long enough).
 */
import type { Keys } from '../keys.js';
import { QUEUE_KEPT, QUEUE_RETIRED } from './constants.js';
import { defineScript } from './script.js';

const lua = `
local now = tonumber(ARGV[2])
if redis.call('ZCARD', KEYS[2]) > 0 or redis.call('ZCARD', KEYS[3]) > 0 then
  redis.call('HDEL', KEYS[4], 'idleSince', 'idleMark')
  return ${QUEUE_KEPT}
end
local s = redis.call('HMGET', KEYS[4], 'mode', 'inflight', 'delivered', 'bounced', 'deferred', 'idleSince', 'idleMark')
if (s[1] and s[1] ~= 'normal') or tonumber(s[2] or '0') > 0 then return ${QUEUE_KEPT} end
local mark = (s[3] or '0') .. '/' .. (s[4] or '0') .. '/' .. (s[5] or '0')
if not s[6] or s[7] ~= mark then
  redis.call('HSET', KEYS[4], 'idleSince', now, 'idleMark', mark)
  return ${QUEUE_KEPT}
end
if now - tonumber(s[6]) < tonumber(ARGV[3]) then return ${QUEUE_KEPT} end
redis.call('DEL', KEYS[4])
redis.call('SREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
return ${QUEUE_RETIRED}`;

export const retireQueue = defineScript({
  name: 'vmtaRetireQueue',
  numberOfKeys: 5,
  lua,
  args: (keys: Keys, queue: string, now: number, idleMs: number) => [keys.queueIndex(), keys.queueReady(queue), keys.queueAge(queue), keys.queueState(queue), keys.expiryIndex(), queue, now, idleMs],
  reply: (raw) => raw === QUEUE_RETIRED,
});
