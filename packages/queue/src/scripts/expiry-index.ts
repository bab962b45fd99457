/**
 * The bounce-after index (Keys#expiryIndex): one sorted set for the cluster, member = queue name,
 * score = when the queue's oldest message reaches bounce-after (ms). The invariant the sweeper
 * relies on: a queue with mail in its `age` set is in the index with a score no later than
 * (oldest received time + bounce-after). Scripts that add to `age` lower the score (ZADD LT);
 * scripts that take from `age` drop the member once `age` is empty; a score that is too early only
 * costs the sweeper a look. The queue's QueueRef (JSON) is kept in the `ref` field of its state
 * hash, written where a queue enters the index (the sweeper needs the domain and VMTA for policy).
 *
 * indexExpiry — a slot-0 token start (and an old `expire` job left by a previous version): lowers
 *   the score to the oldest message's receipt + bounce-after, keeps the ref.
 *   KEYS: 1 age, 2 state, 3 expiry index.
 *   ARGV: 1 queue, 2 ref JSON, 3 bounce-after (ms).
 *   Returns: 1, or nil when the queue holds no mail (then it is not in the index). A queue new to
 *   the index gets its ref (one already in it got it where it entered: every script that adds
 *   stores it, and retireQueue takes a queue out before it drops its state hash).
 *
 * rescoreExpiry — the sweeper, after it bounced what was too old: the score from the current
 *   oldest message (not LT: the current config decides), `now + recheckMs` when that one is overdue
 *   already (held by a running token), or out of the index when `age` is empty.
 *   KEYS: 1 age, 2 expiry index.
 *   ARGV: 1 queue, 2 bounce-after (ms), 3 now (ms), 4 recheckMs.
 *   Returns: the new score, or nil when the queue left the index.
 *
 * renewSweepLock — the sweeper's lock is still this process's: extend it. KEYS: 1 lock.
 *   ARGV: 1 owner, 2 ttl (ms). Returns 1 when held (and extended), 0 when lost.
 */
import type { Keys } from '../keys.js';
import { defineScript } from './script.js';

/**
 * Lua for scripts that take ids out of `age`: the queue leaves the index once its age set is
 * empty. `age`, `index`, `queue`: Lua expressions of the age key, the index key and the queue name.
 */
export function unindexIfEmptyLua(age: string, index: string, queue: string): string {
  return `if redis.call('EXISTS', ${age}) == 0 then redis.call('ZREM', ${index}, ${queue}) end`;
}

/**
 * Lua of indexExpiry, shared with takeSlot's slot-0 start: sets `indexed` (a local it declares) to
 * true when the queue holds mail (and is then in the index no later than oldest + bounce-after).
 * The arguments are Lua expressions: the age, state and index keys, the queue, its ref JSON, bounce-after.
 */
export function indexExpiryLua(age: string, state: string, index: string, queue: string, ref: string, bounceAfter: string): string {
  return `
local indexed = false
local first = redis.call('ZRANGE', ${age}, 0, 0, 'WITHSCORES')
if #first == 2 then
  indexed = true
  if redis.call('ZADD', ${index}, 'LT', tonumber(first[2]) + tonumber(${bounceAfter}), ${queue}) == 1 then
    redis.call('HSET', ${state}, 'ref', ${ref})
  end
end`;
}

const indexLua = `${indexExpiryLua('KEYS[1]', 'KEYS[2]', 'KEYS[3]', 'ARGV[1]', 'ARGV[2]', 'ARGV[3]')}
if not indexed then return nil end
return 1`;

export interface ExpiryRef {
  queue: string;
  domain: string;
  vmta: string;
}

export const indexExpiry = defineScript({
  name: 'vmtaIndexExpiry',
  numberOfKeys: 3,
  lua: indexLua,
  args: (keys: Keys, ref: ExpiryRef, bounceAfterMs: number) => [
    keys.queueAge(ref.queue),
    keys.queueState(ref.queue),
    keys.expiryIndex(),
    ref.queue,
    refJson(ref),
    bounceAfterMs,
  ],
  reply: (raw): boolean => raw !== null,
});

const rescoreLua = `
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #first == 0 then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return nil
end
local now = tonumber(ARGV[3])
local due = tonumber(first[2]) + tonumber(ARGV[2])
if due <= now then due = now + tonumber(ARGV[4]) end
redis.call('ZADD', KEYS[2], due, ARGV[1])
return tostring(due)`;

export const rescoreExpiry = defineScript({
  name: 'vmtaRescoreExpiry',
  numberOfKeys: 2,
  lua: rescoreLua,
  args: (keys: Keys, queue: string, bounceAfterMs: number, now: number, recheckMs: number) => [keys.queueAge(queue), keys.expiryIndex(), queue, bounceAfterMs, now, recheckMs],
  reply: (raw): number | undefined => (raw === null ? undefined : Number(raw)),
});

const renewLua = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

export const renewSweepLock = defineScript({
  name: 'vmtaRenewSweepLock',
  numberOfKeys: 1,
  lua: renewLua,
  args: (keys: Keys, owner: string, ttlMs: number) => [keys.expirySweepLock(), owner, ttlMs],
  reply: (raw) => Number(raw) === 1,
});

/** The ref as the scripts store it (the same JSON as an enqueue's wake mark: queue, domain, vmta). */
export function refJson(ref: ExpiryRef): string {
  return JSON.stringify({ queue: ref.queue, domain: ref.domain, vmta: ref.vmta });
}
