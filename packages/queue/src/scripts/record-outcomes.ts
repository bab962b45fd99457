/**
 * recordOutcomes: the outcomes of one message in one queue, in one step. Appends the accounting
 * records and the latency of the recipients delivered now (whatever else happened: the attempt did
 * happen), lets go of the slot's hold on the message, writes the updated recipient records, puts the
 * message back in the queue when recipients stay queued there (else out of the queue's age index),
 * counts the outcomes (queue, totals, minute counters) and drops the message once no recipient is
 * pending. The minute counters are counted here, next to the totals, so outcomes that count nothing
 * (the message already gone) count nothing in the history either.
 *
 * KEYS: 1 meta, 2 rcpts, 3 body, 4 inflight (of the slot), 5 ready, 6 state, 7 totals, 8 age,
 *       9 minute counters, 10 accounting stream, 11 latency histogram.
 * ARGV: 1 id, 2 notBefore (ms) or '', 3 recipients final now, 4 delivered, 5 bounced, 6 deferred,
 *       7 latency vmta or '', 8 latency bucket, 9 latency seconds,
 *       10 records, then per record: n, field/value (n values),
 *       then (index, recipient JSON) per recipient to the end.
 * Returns: the recipients still pending overall (0 once the message is dropped), or
 *          OUTCOMES_MESSAGE_GONE when the message was gone already.
 */
import type { Keys } from '../keys.js';
import { ACCOUNTING_MAXLEN, MINUTE_COUNTERS_TTL_SECONDS, OUTCOMES_MESSAGE_GONE } from './constants.js';
import { defineScript, type RedisArg } from './script.js';

const lua = `
local a = 11
for r = 1, tonumber(ARGV[10]) do
  local n = tonumber(ARGV[a])
  redis.call('XADD', KEYS[10], 'MAXLEN', '~', '${ACCOUNTING_MAXLEN}', '*', unpack(ARGV, a + 1, a + n))
  a = a + n + 1
end
local d = tonumber(ARGV[4])
if ARGV[7] ~= '' and d > 0 then
  redis.call('HINCRBY', KEYS[11], ARGV[7] .. '|' .. ARGV[8], d)
  redis.call('HINCRBY', KEYS[11], ARGV[7] .. '|count', d)
  redis.call('HINCRBYFLOAT', KEYS[11], ARGV[7] .. '|sum', tonumber(ARGV[9]) * d)
end
local held = redis.call('SREM', KEYS[4], ARGV[1])
if held == 1 then redis.call('HINCRBY', KEYS[6], 'inflight', -1) end
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[8], ARGV[1])
  return ${OUTCOMES_MESSAGE_GONE}
end
for i = a, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
if tonumber(ARGV[3]) > 0 then redis.call('HINCRBY', KEYS[6], 'queued', -tonumber(ARGV[3])) end
if ARGV[2] ~= '' then
  redis.call('ZADD', KEYS[5], ARGV[2], ARGV[1])
else
  redis.call('ZREM', KEYS[8], ARGV[1])
end
local counted = false
for i, name in ipairs({'delivered', 'bounced', 'deferred'}) do
  local n = tonumber(ARGV[3 + i])
  if n > 0 then
    redis.call('HINCRBY', KEYS[6], name, n)
    redis.call('HINCRBY', KEYS[7], name, n)
    redis.call('HINCRBY', KEYS[9], name, n)
    counted = true
  end
end
if counted then redis.call('EXPIRE', KEYS[9], ${MINUTE_COUNTERS_TTL_SECONDS}) end
local left = redis.call('HINCRBY', KEYS[1], 'pending', 0 - tonumber(ARGV[3]))
if left <= 0 then redis.call('DEL', KEYS[1], KEYS[2], KEYS[3]) end
return math.max(left, 0)`;

export interface RecordOutcomesInput {
  id: string;
  queue: string;
  slot: number;
  /** Key of the minute counters the outcomes count in. */
  minuteKey: string;
  /** When recipients stay queued here: when they may be tried again (ms). */
  notBefore?: number;
  /** Recipients of this queue final now, and the count of each outcome. */
  finals: number;
  delivered: number;
  bounced: number;
  deferred: number;
  /** The VMTA, histogram bucket and seconds since receipt of the recipients delivered now. */
  latency?: { vmta: string; bucket: number; seconds: number };
  /** Accounting records as flat field, value lists. */
  records: readonly (readonly string[])[];
  /** Updated recipient records: index, JSON. */
  recipients: ReadonlyArray<readonly [string, string]>;
}

export const recordOutcomes = defineScript({
  name: 'vmtaRecordOutcomes',
  numberOfKeys: 11,
  lua,
  args: (keys: Keys, input: RecordOutcomesInput): RedisArg[] => [
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
    input.id,
    input.notBefore ?? '',
    input.finals,
    input.delivered,
    input.bounced,
    input.deferred,
    input.latency?.vmta ?? '',
    input.latency?.bucket ?? 0,
    input.latency?.seconds ?? 0,
    input.records.length,
    ...input.records.flatMap((r) => [r.length, ...r]),
    ...input.recipients.flat(),
  ],
  reply: (raw) => Number(raw),
});
