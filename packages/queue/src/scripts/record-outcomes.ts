/**
 * recordOutcomes: the outcomes of one message in one queue, in one step. Lets go of the slot's hold
 * on the message, writes the recipient records that change now with their accounting records and
 * the latency of those delivered, puts the message back in the queue when recipients stay queued
 * there (else out of the queue's age index), counts the outcomes (queue, totals, minute counters)
 * and drops the message once no recipient is pending.
 *
 * Idempotent per recipient: an outcome is recorded only when the stored recipient is still queued
 * and the outcome is final, or a deferral of a later attempt than the stored one (delivery makes
 * each outcome from the record it read, attempts + 1). So a finish repeated (its slot's lock was
 * lost while SMTP went on, and another token finished the message meanwhile) changes nothing:
 * `pending`, the counters, the accounting records and the latency count each recipient once, and
 * a message whose other recipients are still queued elsewhere stays. A repeat that changes no
 * recipient does not touch the queue either (the message may be held by another token now). The
 * minute counters are counted here, next to the totals, so outcomes that count nothing count
 * nothing in the history either.
 *
 * With a job, its counters count the final outcomes (delivered, bounced); a dropped message leaves
 * the message jobs hash.
 *
 * With a run, nothing is written unless that run still holds the slot (see takeSlot, releaseSlot).
 *
 * KEYS: 1 meta, 2 rcpts, 3 body, 4 inflight (of the slot), 5 ready, 6 state, 7 totals, 8 age,
 *       9 minute counters, 10 accounting stream, 11 latency histogram, 12 holder (of the slot),
 *       13 message jobs, 14 job stats (of the message's job, if any), 15 bounce-after index (the
 *       queue leaves it when the message was the last in its age set).
 * ARGV: 1 id, 2 notBefore (ms) or '', 3 latency vmta or '', 4 latency bucket, 5 latency seconds,
 *       6 run or '', 7 job or '', 8 keep ('1': recipients of this queue not in the batch stay queued,
 *       so the message goes back in the queue at notBefore), 9 records of no recipient of the batch,
 *       10 queue, then per record: n, field/value
 *       (n values), then per recipient to the end: index, recipient JSON, state, attempts,
 *       n, its accounting record's field/value (n values, 0 when none).
 * Returns: the recipients still pending overall (0 once the message is dropped),
 *          OUTCOMES_MESSAGE_GONE when the message was gone already (nothing is counted then),
 *          or SLOT_LOST.
 */
import type { Keys } from '../keys.js';
import { ACCOUNTING_MAXLEN, JOB_STATS_TTL_SECONDS, MINUTE_COUNTERS_TTL_SECONDS, OUTCOMES_MESSAGE_GONE } from './constants.js';
import { checkHolder } from './requeue.js';
import { unindexIfEmptyLua } from './expiry-index.js';
import { defineScript, type RedisArg } from './script.js';

/**
 * The Lua of one message's outcomes, a function `recordOne(K, A)` over its 15 keys and its arguments
 * (as KEYS and ARGV below): recordOutcomes calls it once, recordOutcomesMany once per message, so
 * the two cannot differ in what they write or answer.
 */
export const RECORD_ONE_LUA = `
local function recordOne(K, A)${checkHolder(12, 6, 'K', 'A')}
  local id = A[1]
  local function append(from, n)
    if n > 0 then redis.call('XADD', K[10], 'MAXLEN', '~', '${ACCOUNTING_MAXLEN}', '*', unpack(A, from, from + n - 1)) end
  end
  local a = 11
  local function unindex()
    ${unindexIfEmptyLua('K[8]', 'K[15]', 'A[10]')}
  end
  for r = 1, tonumber(A[9]) do
    local n = tonumber(A[a])
    append(a + 1, n)
    a = a + n + 1
  end
  local held = redis.call('SREM', K[4], id)
  if held == 1 then redis.call('HINCRBY', K[6], 'inflight', -1) end
  if redis.call('EXISTS', K[1]) == 0 then
    if redis.call('ZREM', K[8], id) == 1 then unindex() end
    redis.call('HDEL', K[13], id)
    return ${OUTCOMES_MESSAGE_GONE}
  end
  local counts = { delivered = 0, bounced = 0, queued = 0 }
  local stale = 0
  while a <= #A do
    local index, json, state, attempts, n = A[a], A[a + 1], A[a + 2], tonumber(A[a + 3]), tonumber(A[a + 4])
    local stored = redis.call('HGET', K[2], index)
    local was = stored and cjson.decode(stored)
    if was and was.state == 'queued' and (state ~= 'queued' or (tonumber(was.attempts) or 0) < attempts) then
      redis.call('HSET', K[2], index, json)
      counts[state] = counts[state] + 1
      append(a + 5, n)
    else
      stale = stale + 1
    end
    a = a + 5 + n
  end
  local finals = counts.delivered + counts.bounced
  if stale > 0 and finals + counts.queued == 0 then
    return tonumber(redis.call('HGET', K[1], 'pending'))
  end
  if A[3] ~= '' and counts.delivered > 0 then
    local d = counts.delivered
    redis.call('HINCRBY', K[11], A[3] .. '|' .. A[4], d)
    redis.call('HINCRBYFLOAT', K[11], A[3] .. '|sum', tonumber(A[5]) * d)
  end
  if finals > 0 then redis.call('HINCRBY', K[6], 'queued', -finals) end
  if (counts.queued > 0 or A[8] == '1') and A[2] ~= '' then
    redis.call('ZADD', K[5], A[2], id)
  elseif counts.queued == 0 and stale == 0 and not redis.call('ZSCORE', K[5], id) then
    -- Out of the age index unless the message is waiting here again: another domain's recipients
    -- moved into this (rolled-up) queue while it was claimed, and their expiry needs the entry.
    if redis.call('ZREM', K[8], id) == 1 then unindex() end
  end
  -- The minute hash gets its TTL when one of its fields is new (the count equals what was added),
  -- not at every outcome: every writer of a minute hash does so, so no minute hash lives on without one.
  local fresh = false
  for name, n in pairs({ delivered = counts.delivered, bounced = counts.bounced, deferred = counts.queued }) do
    if n > 0 then
      redis.call('HINCRBY', K[6], name, n)
      redis.call('HINCRBY', K[7], name, n)
      if redis.call('HINCRBY', K[9], name, n) == n then fresh = true end
    end
  end
  if fresh then redis.call('EXPIRE', K[9], ${MINUTE_COUNTERS_TTL_SECONDS}) end
  if A[7] ~= '' and finals > 0 then
    if counts.delivered > 0 then redis.call('HINCRBY', K[14], 'delivered', counts.delivered) end
    if counts.bounced > 0 then redis.call('HINCRBY', K[14], 'bounced', counts.bounced) end
    redis.call('EXPIRE', K[14], ${JOB_STATS_TTL_SECONDS})
  end
  if finals == 0 then return tonumber(redis.call('HGET', K[1], 'pending')) end
  local left = redis.call('HINCRBY', K[1], 'pending', 0 - finals)  -- finals > 0 here; never -0, which HINCRBY refuses
  if left <= 0 then
    redis.call('DEL', K[1], K[2], K[3])
    redis.call('HDEL', K[13], id)
  end
  return math.max(left, 0)
end
`;

const lua = `${RECORD_ONE_LUA}
return recordOne(KEYS, ARGV)`;

/** One recipient's new record, with the accounting record of its outcome. */
export interface RecipientOutcomeRecord {
  index: number;
  json: string;
  state: 'queued' | 'delivered' | 'bounced';
  /** Attempts so far including this one (one more than the record the outcome was made from). */
  attempts: number;
  /** The accounting record as a flat field, value list, if any. */
  record?: readonly string[];
}

export interface RecordOutcomesInput {
  id: string;
  queue: string;
  slot: number;
  /** The run holding the slot (nothing is written once it lost the slot); none: no check. */
  run?: string;
  /** The message's job, if any: its counters count the final outcomes. */
  job?: string;
  /** Recipients of this queue not in `recipients` stay queued: the message goes back at `notBefore`. */
  keep?: boolean;
  /** Key of the minute counters the outcomes count in. */
  minuteKey: string;
  /** When recipients stay queued here: when they may be tried again (ms). */
  notBefore?: number;
  /** The VMTA, histogram bucket and seconds since receipt of the recipients delivered now. */
  latency?: { vmta: string; bucket: number; seconds: number };
  /** Accounting records of no recipient in `recipients` (appended whatever happens), as flat field, value lists. */
  records: readonly (readonly string[])[];
  /** Updated recipient records of this queue. */
  recipients: readonly RecipientOutcomeRecord[];
}

/** One message's KEYS (15) and ARGV, in the order recordOne reads them. */
export function recordOutcomesCall(keys: Keys, input: RecordOutcomesInput): { keys: RedisArg[]; argv: RedisArg[] } {
  return {
    keys: [
      keys.messageMeta(input.id),
      keys.messageRecipients(input.id),
      keys.messageBody(input.id),
      keys.queueInflight(input.queue, input.slot),
      keys.queueReady(input.queue),
      keys.queueState(input.queue),
      keys.totals(),
      keys.queueAge(input.queue),
      input.minuteKey,
      keys.accounting(),
      keys.deliveryLatency(),
      keys.queueSlotHolder(input.queue, input.slot),
      keys.messageJobs(),
      keys.jobStats(input.job ?? ''),
      keys.expiryIndex(),
    ],
    argv: [
      input.id,
      input.notBefore ?? '',
      input.latency?.vmta ?? '',
      input.latency?.bucket ?? 0,
      input.latency?.seconds ?? 0,
      input.run ?? '',
      input.job ?? '',
      input.keep ? '1' : '',
      input.records.length,
      input.queue,
      ...input.records.flatMap((r) => [r.length, ...r]),
      ...input.recipients.flatMap((r) => [r.index, r.json, r.state, r.attempts, r.record?.length ?? 0, ...(r.record ?? [])]),
    ],
  };
}

/** Keys per message (recordOutcomesMany passes them one message after the other). */
export const RECORD_OUTCOMES_KEYS = 15;

export const recordOutcomes = defineScript({
  name: 'vmtaRecordOutcomes',
  numberOfKeys: RECORD_OUTCOMES_KEYS,
  lua,
  args: (keys: Keys, input: RecordOutcomesInput): RedisArg[] => {
    const call = recordOutcomesCall(keys, input);
    return [...call.keys, ...call.argv];
  },
  reply: (raw) => Number(raw),
});
