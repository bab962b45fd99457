/**
 * backoffMode: a queue enters or leaves backoff mode, or leaves retry mode, in one step. Backoff
 * is kept in the state hash as its own fields (backoffSince, backoffUntil, backoffReason,
 * backoffRule) beside `mode`: a queue in backoff that fails goes into retry mode and, leaving
 * retry (or a pause), comes back to backoff, not to normal. `mode` reads `backoff` only while
 * nothing stronger (retry, paused) holds. Leaving backoff stamps `recoverySince` (the start of
 * backoff-recovery-steps, read by delivery); entering backoff clears it.
 *
 * KEYS: 1 state.
 * ARGV: 1 op: enter | leave | expire (leave only if backoffUntil has come) | enter-retry | leave-retry,
 *       2 now (ms), 3 until (ms, '' = no timer; enter; enter-retry: the retry time), 4 reason (enter),
 *       5 rule file:line (enter).
 * Returns: 1 when the queue's backoff (or retry) changed, 0 when there was nothing to do; enter-retry:
 * the queue's failure count. Retry changes leave a paused queue paused.
 */
import { defineScript } from './script.js';

const lua = `
local op = ARGV[1]
local since = redis.call('HGET', KEYS[1], 'backoffSince')
local mode = redis.call('HGET', KEYS[1], 'mode')
if op == 'enter' then
  local untilMs = redis.call('HGET', KEYS[1], 'backoffUntil')
  -- a backoff whose timer ran out and nobody cleared yet counts as over: enter afresh
  if since and not (untilMs and tonumber(untilMs) <= tonumber(ARGV[2])) then return 0 end
  redis.call('HSET', KEYS[1], 'backoffSince', ARGV[2], 'backoffReason', ARGV[4], 'backoffRule', ARGV[5])
  redis.call('HDEL', KEYS[1], 'recoverySince')
  if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'backoffUntil', ARGV[3]) else redis.call('HDEL', KEYS[1], 'backoffUntil') end
  if not mode or mode == 'normal' then redis.call('HSET', KEYS[1], 'mode', 'backoff') end
  return 1
end
-- a paused queue stays paused through retry changes (a connection that held mail when the pause came,
-- the operator's retry now); resume finds the retry time
if op == 'enter-retry' then
  local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
  redis.call('HSET', KEYS[1], 'retryAt', ARGV[3])
  if mode ~= 'paused' then redis.call('HSET', KEYS[1], 'mode', 'retry') end
  return failures
end
if op == 'leave-retry' then
  redis.call('HSET', KEYS[1], 'failures', '0')
  if mode ~= 'paused' then redis.call('HSET', KEYS[1], 'mode', since and 'backoff' or 'normal') end
  redis.call('HDEL', KEYS[1], 'retryAt')
  return 1
end
if not since then return 0 end
-- an expired backoff recovers from when its timer ran out, not from when somebody noticed
local recovery = ARGV[2]
if op == 'expire' then
  local untilMs = redis.call('HGET', KEYS[1], 'backoffUntil')
  if not untilMs or tonumber(untilMs) > tonumber(ARGV[2]) then return 0 end
  recovery = untilMs
end
redis.call('HDEL', KEYS[1], 'backoffSince', 'backoffUntil', 'backoffReason', 'backoffRule')
redis.call('HSET', KEYS[1], 'recoverySince', recovery)
if mode == 'backoff' then redis.call('HSET', KEYS[1], 'mode', 'normal') end
return 1`;

export type BackoffOp = 'enter' | 'leave' | 'expire' | 'enter-retry' | 'leave-retry';

export interface BackoffInput {
  op: BackoffOp;
  now: number;
  until?: number;
  reason?: string;
  rule?: string;
}

export const backoffMode = defineScript({
  name: 'vmtaBackoffMode',
  numberOfKeys: 1,
  lua,
  args: (state: string, i: BackoffInput) => [state, i.op, i.now, i.until ?? '', i.reason ?? '', i.rule ?? ''],
  reply: (raw) => Number(raw) === 1,
});
