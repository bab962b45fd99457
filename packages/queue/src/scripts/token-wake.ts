/**
 * tokenWake: what a wake does once its BullMQ add returned, in one call (it was BullMQ's getState
 * script, then an HGET of the mode, a SET of the awake mark and an SREM of the wake mark: up to
 * four round trips per woken queue). The add is deduplicated by job id, so the token may be one
 * that existed already, in any state, or one that ended between the add and this call.
 *
 * - gone (no job hash, or finished): nothing is written; the caller adds the token again.
 * - active: a running token marks the queue itself at its next claim (marking it here could
 *   outlive its last claim), so only the wake mark goes.
 * - delayed, queue in retry mode or paused: left asleep; the wake mark goes.
 * - delayed otherwise: the queue is marked awake and the caller promotes the token.
 * - waiting: the queue is marked awake.
 *
 * The state is read inside the script, atomically with the awake mark: BullMQ's moveToActive
 * and moveToFinished cannot run between the look and the mark.
 *
 * KEYS: 1 job hash, 2 BullMQ active list, 3 delayed set, 4 completed set, 5 failed set (of the
 *       lane), 6 queue state, 7 queue awake, 8 wake set.
 * ARGV: 1 job id, 2 awake TTL (ms), 3 the enqueue's wake mark to clear, or ''.
 * Returns: one of the TOKEN_* codes below.
 */
import { AWAKE_TTL_MS, TOKEN_ACTIVE, TOKEN_DELAYED, TOKEN_GONE, TOKEN_HELD, TOKEN_WAITING } from './constants.js';
import { defineScript } from './script.js';

const lua = `
local id = ARGV[1]
if redis.call('EXISTS', KEYS[1]) == 0 then return ${TOKEN_GONE} end
local state
if redis.call('LPOS', KEYS[2], id) then
  state = ${TOKEN_ACTIVE}
elseif redis.call('ZSCORE', KEYS[3], id) then
  local mode = redis.call('HGET', KEYS[6], 'mode')
  if mode == 'retry' or mode == 'paused' then state = ${TOKEN_HELD} else state = ${TOKEN_DELAYED} end
elseif redis.call('ZSCORE', KEYS[4], id) or redis.call('ZSCORE', KEYS[5], id) then
  return ${TOKEN_GONE}
else
  state = ${TOKEN_WAITING}
end
if state == ${TOKEN_DELAYED} or state == ${TOKEN_WAITING} then redis.call('SET', KEYS[7], '1', 'PX', ARGV[2]) end
if ARGV[3] ~= '' then redis.call('SREM', KEYS[8], ARGV[3]) end
return state`;

/** Where the token of a wake is: the BullMQ keys of its lane and job. */
export interface TokenWakeKeys {
  job: string;
  active: string;
  delayed: string;
  completed: string;
  failed: string;
  state: string;
  awake: string;
  wakeSet: string;
}

export const tokenWake = defineScript({
  name: 'vmtaTokenWake',
  numberOfKeys: 8,
  lua,
  args: (k: TokenWakeKeys, jobId: string, mark: string | undefined) => [k.job, k.active, k.delayed, k.completed, k.failed, k.state, k.awake, k.wakeSet, jobId, AWAKE_TTL_MS, mark ?? ''],
  reply: (raw) => Number(raw),
});
