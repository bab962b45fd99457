/**
 * enqueue: one message as one script: body, envelope, recipients, the queue entries, wake marks,
 * `r` accounting records and counters (totals and minute counters), all or nothing, in one command.
 * A MULTI of the same ~15 commands cost the listener a client-side Command object, argument
 * encoding and reply parsing for each of them.
 *
 * Redis refuses a writing script as a whole when it is over maxmemory (noeviction), before it
 * runs, so an out-of-memory Redis leaves nothing half-written either.
 *
 * KEYS: 1 body, 2 meta, 3 rcpts, 4 queue index, 5 wake set, 6 accounting stream, 7 totals,
 *       8 minute counters, then per queue: ready, age, state, awake.
 * ARGV: 1 id, 2 body, 3 receivedAt (ms), 4 recipients,
 *       n, meta field/value (n values), n, rcpt field/value (n values),
 *       queues, per queue: name, wake mark, recipients,
 *       records, per record: n, field/value (n values).
 * Returns: per queue, QUEUE_NEEDS_NO_WAKE when its token is awake (it will find this mail by
 *          itself) or the queue is paused and already held mail (a token would only find the
 *          pause; resuming wakes it), else QUEUE_NEEDS_WAKE. Then, per queue, QUEUE_WAS_EMPTY when
 *          the queue held no mail before (its bounce-after sweep needs scheduling: the first
 *          message of a paused queue still wakes a token, which schedules it), else QUEUE_HELD_MAIL.
 */
import type { Keys } from '../keys.js';
import {
  ACCOUNTING_MAXLEN,
  MINUTE_COUNTERS_TTL_SECONDS,
  QUEUE_HELD_MAIL,
  QUEUE_NEEDS_NO_WAKE,
  QUEUE_NEEDS_WAKE,
  QUEUE_WAS_EMPTY,
} from './constants.js';
import { defineScript, type RedisArg } from './script.js';

const lua = `
local a = 5
local function take()
  local n = tonumber(ARGV[a])
  local out = {}
  for i = 1, n do out[i] = ARGV[a + i] end
  a = a + n + 1
  return out
end
local id, received = ARGV[1], ARGV[3]
redis.call('SET', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], unpack(take()))
redis.call('HSET', KEYS[3], unpack(take()))
local queues = tonumber(ARGV[a]); a = a + 1
local awake = {}
local first = {}
for q = 1, queues do
  local k = 8 + (q - 1) * 4
  local name, mark, count = ARGV[a], ARGV[a + 1], ARGV[a + 2]; a = a + 3
  first[q] = redis.call('EXISTS', KEYS[k + 2]) == 0 and ${QUEUE_WAS_EMPTY} or ${QUEUE_HELD_MAIL}
  local held = first[q] == ${QUEUE_HELD_MAIL} and redis.call('HGET', KEYS[k + 3], 'mode') == 'paused'
  awake[q] = (held or redis.call('EXISTS', KEYS[k + 4]) == 1) and ${QUEUE_NEEDS_NO_WAKE} or ${QUEUE_NEEDS_WAKE}
  redis.call('ZADD', KEYS[k + 1], 'NX', received, id)
  redis.call('ZADD', KEYS[k + 2], 'NX', received, id)
  redis.call('HINCRBY', KEYS[k + 3], 'queued', count)
  redis.call('SADD', KEYS[4], name)
  redis.call('SADD', KEYS[5], mark)
end
local records = tonumber(ARGV[a]); a = a + 1
for r = 1, records do
  redis.call('XADD', KEYS[6], 'MAXLEN', '~', '${ACCOUNTING_MAXLEN}', '*', unpack(take()))
end
redis.call('HINCRBY', KEYS[7], 'received', ARGV[4])
redis.call('HINCRBY', KEYS[8], 'received', ARGV[4])
redis.call('EXPIRE', KEYS[8], ${MINUTE_COUNTERS_TTL_SECONDS})
for q = 1, queues do awake[queues + q] = first[q] end
return awake`;

export interface EnqueueQueue {
  name: string;
  /** JSON of the QueueRef, the wake mark. */
  mark: string;
  recipients: number;
}

export interface EnqueueInput {
  id: string;
  body: Buffer;
  receivedAt: number;
  recipients: number;
  meta: Record<string, string>;
  /** Recipient index → JSON record. */
  rcpts: Record<string, string>;
  queues: readonly EnqueueQueue[];
  /** Accounting records as flat field, value lists. */
  records: readonly (readonly string[])[];
  minuteKey: string;
}

/** Per queue, in the order of `queues`: whether a token needs waking, and whether the queue was empty. */
export interface EnqueueReply {
  needsWake: boolean[];
  wasEmpty: boolean[];
}

const flat = (o: Record<string, string>): string[] => Object.entries(o).flat();
const counted = (values: readonly string[]): (string | number)[] => [values.length, ...values];

export const enqueue = defineScript({
  name: 'vmtaEnqueue',
  lua,
  /** numkeys first: the number of keys depends on the number of queues. */
  args: (keys: Keys, input: EnqueueInput): RedisArg[] => {
    const { id } = input;
    const keyList = [
      keys.messageBody(id),
      keys.messageMeta(id),
      keys.messageRecipients(id),
      keys.queueIndex(),
      keys.wakeSet(),
      keys.accounting(),
      keys.totals(),
      input.minuteKey,
      ...input.queues.flatMap((q) => [keys.queueReady(q.name), keys.queueAge(q.name), keys.queueState(q.name), keys.queueAwake(q.name)]),
    ];
    return [
      keyList.length,
      ...keyList,
      id,
      input.body,
      input.receivedAt,
      input.recipients,
      ...counted(flat(input.meta)),
      ...counted(flat(input.rcpts)),
      input.queues.length,
      ...input.queues.flatMap((q) => [q.name, q.mark, q.recipients]),
      input.records.length,
      ...input.records.flatMap((r) => counted(r)),
    ];
  },
  reply: (raw): EnqueueReply => {
    const flags = raw as number[];
    const n = flags.length / 2;
    return {
      needsWake: flags.slice(0, n).map((f) => f === QUEUE_NEEDS_WAKE),
      wasEmpty: flags.slice(n).map((f) => f === QUEUE_WAS_EMPTY),
    };
  },
});
