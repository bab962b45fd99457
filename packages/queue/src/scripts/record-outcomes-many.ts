/**
 * recordOutcomesMany: the outcomes of several messages (up to OUTCOMES_PER_CALL) in one call, each
 * message exactly as recordOutcomes records it (the same Lua function, recordOne), one after the
 * other. Each message runs under pcall: an error in one message's part answers for that message
 * only (what it wrote before the error stays, as with a failed recordOutcomes call) and the next
 * messages are recorded. READONLY (a primary demoted to a replica) fails the whole call with that
 * error, as recordOutcomes fails: nothing can have been written then, and the connection's
 * reconnect-on-READONLY sends the call again to the new primary.
 *
 * KEYS: per message, its 15 keys of recordOutcomes, message after message.
 * ARGV: per message, n (its number of arguments), then its n arguments of recordOutcomes.
 * Returns: per message, in order, what recordOutcomes returns for it (recipients still pending,
 *          OUTCOMES_MESSAGE_GONE or SLOT_LOST), or the text of its error (a string).
 */
import type { Keys } from '../keys.js';
import { RECORD_ONE_LUA, RECORD_OUTCOMES_KEYS, recordOutcomesCall, type RecordOutcomesInput } from './record-outcomes.js';
import { defineScript, type RedisArg } from './script.js';

/** Messages per recordOutcomesMany call at most (a group commit sends more in several calls). */
export const OUTCOMES_PER_CALL = 50;

const lua = `${RECORD_ONE_LUA}
local replies = {}
local a = 1
local m = 0
while a <= #ARGV do
  local n = tonumber(ARGV[a])
  local K = {}
  for i = 1, ${RECORD_OUTCOMES_KEYS} do K[i] = KEYS[m * ${RECORD_OUTCOMES_KEYS} + i] end
  local A = {}
  for i = 1, n do A[i] = ARGV[a + i] end
  a = a + n + 1
  m = m + 1
  local ok, reply = pcall(recordOne, K, A)
  if ok then
    replies[m] = reply or false
  else
    local text = type(reply) == 'table' and reply.err or tostring(reply)
    if string.sub(text, 1, 8) == 'READONLY' then return redis.error_reply(text) end
    replies[m] = text
  end
end
return replies`;

/** Per message: its answer (as recordOutcomes'), or the text of the error its part met. */
export type RecordOutcomesReply = number | { error: string };

export const recordOutcomesMany = defineScript({
  name: 'vmtaRecordOutcomesMany',
  lua,
  args: (keys: Keys, inputs: readonly RecordOutcomesInput[]): RedisArg[] => {
    const calls = inputs.map((input) => recordOutcomesCall(keys, input));
    const out: RedisArg[] = [calls.length * RECORD_OUTCOMES_KEYS];
    for (const c of calls) for (const k of c.keys) out.push(k);
    for (const c of calls) {
      out.push(c.argv.length);
      for (const v of c.argv) out.push(v);
    }
    return out;
  },
  reply: (raw): RecordOutcomesReply[] => (raw as unknown[]).map((r) => (typeof r === 'string' || Buffer.isBuffer(r) ? { error: String(r) } : Number(r))),
});
