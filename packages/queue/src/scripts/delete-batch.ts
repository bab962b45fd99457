/**
 * deleteBatch: an operator's delete (a purge job) finishes a batch of messages of one queue it
 * claimed into its slot, in one step: what recordOutcomes does for each message when every
 * recipient named is bounced, without a round trip per message. Bounded by the caller (a few dozen
 * messages a call, so one call stays around a millisecond); never a whole queue.
 *
 * Per message, as recordOutcomes: lets go of the slot's hold, writes each named recipient that is
 * still queued as bounced with its accounting record, counts them (queue `queued` down, `bounced`
 * up in the queue, totals, minute counters and the message's job), puts the message back in the
 * queue at notBefore when other recipients of this queue stay (keep), else takes it out of the
 * queue's age index, and drops the message once no recipient is pending anywhere (a message with
 * recipients queued in other queues stays for them). A recipient no longer queued (finished
 * already) is skipped, so a repeat changes nothing; a message gone already is only unindexed.
 *
 * KEYS: 1 inflight (of the slot), 2 ready, 3 state, 4 totals, 5 age, 6 minute counters,
 *       7 accounting stream, 8 message jobs, 9 bounce-after index (the queue leaves it once its
 *       age set is empty); then per message: meta, rcpts, body, job stats (of its job, or any key
 *       when none).
 * ARGV: 1 notBefore (ms), 2 queue, then per message: id, job or '', keep ('1' or ''), number of recipients,
 *       then per recipient: index, recipient JSON (state bounced), n, its accounting record's
 *       field/value (n values, 0 when none).
 * Returns: the recipients bounced now.
 */
import type { Keys } from '../keys.js';
import { bouncedCountersLua } from './bounced-counters.js';
import { ACCOUNTING_MAXLEN } from './constants.js';
import { unindexIfEmptyLua } from './expiry-index.js';
import { defineScript, type RedisArg } from './script.js';

const lua = `
local a = 3
local total = 0
local released = 0
local byJob = {}
local m = 0
while a <= #ARGV do
  local k = 9 + m * 4
  local id, job, keep, count = ARGV[a], ARGV[a + 1], ARGV[a + 2], tonumber(ARGV[a + 3])
  a = a + 4
  m = m + 1
  if redis.call('SREM', KEYS[1], id) == 1 then released = released + 1 end
  local exists = redis.call('EXISTS', KEYS[k + 1]) == 1
  if not exists then
    redis.call('ZREM', KEYS[5], id)
    redis.call('HDEL', KEYS[8], id)
  end
  local bounced, stale = 0, 0
  for _ = 1, count do
    local index, json, n = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2])
    local stored = exists and redis.call('HGET', KEYS[k + 2], index)
    local was = stored and cjson.decode(stored)
    if was and was.state == 'queued' then
      redis.call('HSET', KEYS[k + 2], index, json)
      bounced = bounced + 1
      if n > 0 then redis.call('XADD', KEYS[7], 'MAXLEN', '~', '${ACCOUNTING_MAXLEN}', '*', unpack(ARGV, a + 3, a + 2 + n)) end
    else
      stale = stale + 1
    end
    a = a + 3 + n
  end
  if exists and not (stale > 0 and bounced == 0) then
    if keep == '1' then
      redis.call('ZADD', KEYS[2], ARGV[1], id)
    elseif stale == 0 and not redis.call('ZSCORE', KEYS[2], id) then
      -- (as recordOutcomes: kept while other recipients moved into this queue wait in it)
      redis.call('ZREM', KEYS[5], id)
    end
    if bounced > 0 then
      total = total + bounced
      -- Counters are summed over the batch and written once at the end (one step: nobody sees them in between).
      -- A job's stats key per message (the same key for messages of one job): counted once per key.
      if job ~= '' then byJob[KEYS[k + 4]] = (byJob[KEYS[k + 4]] or 0) + bounced end
      if redis.call('HINCRBY', KEYS[k + 1], 'pending', -bounced) <= 0 then
        redis.call('DEL', KEYS[k + 1], KEYS[k + 2], KEYS[k + 3])
        redis.call('HDEL', KEYS[8], id)
      end
    end
  end
end
if released > 0 then redis.call('HINCRBY', KEYS[3], 'inflight', -released) end
${unindexIfEmptyLua('KEYS[5]', 'KEYS[9]', 'ARGV[2]')}
${bouncedCountersLua('KEYS[3]', 'KEYS[4]', 'KEYS[6]')}
return total`;

/** One message of a delete batch: the recipients of the queue it bounces, as recordOutcomes takes them. */
export interface DeleteBatchMessage {
  id: string;
  job?: string;
  /** Recipients of this queue not named stay queued: the message goes back in the queue at notBefore. */
  keep?: boolean;
  recipients: readonly { index: number; json: string; record?: readonly string[] }[];
}

export interface DeleteBatchInput {
  queue: string;
  slot: number;
  minuteKey: string;
  notBefore: number;
  messages: readonly DeleteBatchMessage[];
}

export const deleteBatch = defineScript({
  name: 'vmtaDeleteBatch',
  lua,
  args: (keys: Keys, input: DeleteBatchInput): RedisArg[] => {
    const perMessage = input.messages.flatMap((m) => [keys.messageMeta(m.id), keys.messageRecipients(m.id), keys.messageBody(m.id), keys.jobStats(m.job ?? '')]);
    return [
      9 + perMessage.length,
      keys.queueInflight(input.queue, input.slot),
      keys.queueReady(input.queue),
      keys.queueState(input.queue),
      keys.totals(),
      keys.queueAge(input.queue),
      input.minuteKey,
      keys.accounting(),
      keys.messageJobs(),
      keys.expiryIndex(),
      ...perMessage,
      input.notBefore,
      input.queue,
      ...input.messages.flatMap((m) => [
        m.id,
        m.job ?? '',
        m.keep ? '1' : '',
        m.recipients.length,
        ...m.recipients.flatMap((r) => [r.index, r.json, r.record?.length ?? 0, ...(r.record ?? [])]),
      ]),
    ];
  },
  reply: (raw) => Number(raw),
});
