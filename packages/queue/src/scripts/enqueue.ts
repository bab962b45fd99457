/**
 * enqueue: one message as one script: body, envelope, recipients, the queue entries, wake marks,
 * `r` accounting records and counters (totals and minute counters), all or nothing, in one command.
 * A MULTI of the same ~15 commands cost the listener a client-side Command object, argument
 * encoding and reply parsing for each of them.
 *
 * Any number of recipients: long lists go to HSET in slices (Lua's `unpack` stops at about 8,000
 * values, which was about 4,000 recipients). All or nothing: the script reads what it needs first,
 * then writes; when a write fails part way (a key of the wrong type, a Lua error) it undoes what
 * it wrote (message keys, queue entries and counts, index and wake marks it added, stream entries,
 * totals) and answers an error starting ENQUEUE_UNDONE. An out-of-memory Redis (noeviction)
 * refuses the first write, so nothing is written then either.
 *
 * With a job, the message is listed under it (message jobs hash) and the job's counters count its
 * recipients as received (first and last seen, kept JOB_STATS_TTL_SECONDS after the last change).
 *
 * Each queue with a bounce-after goes into the bounce-after index (scripts/expiry-index.ts) at
 * receivedAt + bounce-after, or stays at its earlier score (ZADD LT); a queue new to the index gets
 * its QueueRef (the wake mark) in the `ref` field of its state hash. Written after everything else
 * (outside the undo): an entry for mail that was undone only costs the sweeper a look.
 *
 * KEYS: 1 body, 2 meta, 3 rcpts, 4 queue index, 5 wake set, 6 accounting stream, 7 totals,
 *       8 minute counters, 9 message jobs, 10 job stats, 11 job index, 12 bounce-after index,
 *       then per queue: ready, age, state, awake.
 * ARGV: 1 id, 2 body, 3 receivedAt (ms), 4 recipients, 5 job or '', 6 readyAt (ms: when the queue
 *       entries are due; receivedAt, or later for a message held until its replicas acknowledged it),
 *       7 the rest as one JSON document (EnqueueDocument): meta field/value list, rcpt field/value
 *       list, per queue [name, wake mark, recipients, bounce-after (ms) or '' (unknown: the queue's
 *       first slot-0 token indexes it)], per record its field/value list. One argument where these
 *       were one each (≈ 60 per message, ≈ 1,750 for 50 recipients): ioredis encodes, measures and
 *       writes each argument, which cost the listener a string or two per value.
 * Returns: per queue, QUEUE_NEEDS_NO_WAKE when its token is awake (it will find this mail by
 *          itself) or the queue is paused and already held mail (a token would only find the
 *          pause; resuming wakes it), else QUEUE_NEEDS_WAKE. (The first message of a paused
 *          queue still wakes a token, which indexes the queue for bounce-after when the enqueue
 *          could not.)
 */
import type { Keys } from '../keys.js';
import {
  ACCOUNTING_MAXLEN,
  JOB_STATS_TTL_SECONDS,
  MINUTE_COUNTERS_TTL_SECONDS,
  QUEUE_NEEDS_NO_WAKE,
  QUEUE_NEEDS_WAKE,
  SLICE,
} from './constants.js';
import { defineScript, type RedisArg } from './script.js';

const lua = `
-- Lua's unpack fails past a few thousand values: long lists go to Redis in slices.
local function sliced(list, each)
  for i = 1, #list, ${SLICE} do each(unpack(list, i, math.min(i + ${SLICE} - 1, #list))) end
end
local id, received, job, readyAt = ARGV[1], ARGV[3], ARGV[5], ARGV[6]
local doc = cjson.decode(ARGV[7])
local meta, rcpts, records = doc.meta, doc.rcpts, doc.records
local queues = #doc.queues
local q = {}
for i = 1, queues do
  local k = 12 + (i - 1) * 4
  local e = doc.queues[i]
  q[i] = { k = k, name = e[1], mark = e[2], count = tonumber(e[3]), after = e[4] }
  q[i].first = redis.call('EXISTS', KEYS[k + 2]) == 0
  q[i].hadState = redis.call('EXISTS', KEYS[k + 3]) == 1
  local held = not q[i].first and redis.call('HGET', KEYS[k + 3], 'mode') == 'paused'
  q[i].asleep = not (held or redis.call('EXISTS', KEYS[k + 4]) == 1)
end
local hadStream = redis.call('EXISTS', KEYS[6]) == 1
local hadTotals = redis.call('EXISTS', KEYS[7]) == 1
local hadMinute = redis.call('EXISTS', KEYS[8]) == 1
-- Writes: a failure part way (a wrong key type, a script error) undoes what was written.
local done = { streamed = {} }
local ok, err = pcall(function()
  redis.call('SET', KEYS[1], ARGV[2])
  sliced(meta, function(...) redis.call('HSET', KEYS[2], ...) end)
  sliced(rcpts, function(...) redis.call('HSET', KEYS[3], ...) end)
  for i = 1, queues do
    local k = q[i].k
    q[i].ready = redis.call('ZADD', KEYS[k + 1], 'NX', readyAt, id) == 1
    q[i].age = redis.call('ZADD', KEYS[k + 2], 'NX', received, id) == 1
    redis.call('HINCRBY', KEYS[k + 3], 'queued', q[i].count)
    q[i].counted = true
    q[i].indexed = redis.call('SADD', KEYS[4], q[i].name) == 1
    q[i].marked = redis.call('SADD', KEYS[5], q[i].mark) == 1
  end
  for r = 1, #records do
    done.streamed[r] = redis.call('XADD', KEYS[6], 'MAXLEN', '~', '${ACCOUNTING_MAXLEN}', '*', unpack(records[r]))
  end
  redis.call('HINCRBY', KEYS[7], 'received', ARGV[4])
  done.totals = true
  redis.call('HINCRBY', KEYS[8], 'received', ARGV[4])
  done.minute = true
  redis.call('EXPIRE', KEYS[8], ${MINUTE_COUNTERS_TTL_SECONDS})
  if job ~= '' then
    redis.call('HSET', KEYS[9], id, job)
    done.jobOf = true
    redis.call('HINCRBY', KEYS[10], 'received', ARGV[4])
    done.jobCount = true
    redis.call('HSETNX', KEYS[10], 'first', received)
    redis.call('HSET', KEYS[10], 'last', received)
    redis.call('EXPIRE', KEYS[10], ${JOB_STATS_TTL_SECONDS})
    redis.call('ZADD', KEYS[11], 'GT', received, job)
  end
end)
if not ok then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
  for i = 1, queues do
    local k = q[i].k
    if q[i].ready then redis.call('ZREM', KEYS[k + 1], id) end
    if q[i].age then redis.call('ZREM', KEYS[k + 2], id) end
    if q[i].counted and q[i].hadState then redis.call('HINCRBY', KEYS[k + 3], 'queued', -q[i].count) end
    if q[i].counted and not q[i].hadState then redis.call('DEL', KEYS[k + 3]) end
    if q[i].indexed then redis.call('SREM', KEYS[4], q[i].name) end
    if q[i].marked then redis.call('SREM', KEYS[5], q[i].mark) end
  end
  if hadStream then sliced(done.streamed, function(...) redis.call('XDEL', KEYS[6], ...) end) elseif #done.streamed > 0 then redis.call('DEL', KEYS[6]) end
  if done.totals then
    if hadTotals then redis.call('HINCRBY', KEYS[7], 'received', -tonumber(ARGV[4])) else redis.call('DEL', KEYS[7]) end
  end
  if done.minute then
    if hadMinute then redis.call('HINCRBY', KEYS[8], 'received', -tonumber(ARGV[4])) else redis.call('DEL', KEYS[8]) end
  end
  if done.jobOf then redis.call('HDEL', KEYS[9], id) end
  if done.jobCount then redis.call('HINCRBY', KEYS[10], 'received', -tonumber(ARGV[4])) end
  return redis.error_reply('ENQUEUE_UNDONE nothing kept: ' .. tostring(type(err) == 'table' and err.err or err))
end
for i = 1, queues do
  if q[i].after ~= '' and redis.call('ZADD', KEYS[12], 'LT', tonumber(received) + tonumber(q[i].after), q[i].name) == 1 then
    redis.call('HSET', KEYS[q[i].k + 3], 'ref', q[i].mark)
  end
end
local reply = {}
for i = 1, queues do
  reply[i] = q[i].asleep and ${QUEUE_NEEDS_WAKE} or ${QUEUE_NEEDS_NO_WAKE}
end
return reply`;

export interface EnqueueQueue {
  name: string;
  /** JSON of the QueueRef, the wake mark. */
  mark: string;
  recipients: number;
  /** The queue's bounce-after (ms), if known: the queue enters the bounce-after index at receivedAt + this. */
  bounceAfterMs?: number;
}

export interface EnqueueInput {
  id: string;
  body: Buffer;
  receivedAt: number;
  /** When the queue entries are due; default receivedAt. */
  readyAt?: number;
  recipients: number;
  /** The job the message belongs to, if any. */
  job?: string;
  meta: Record<string, string>;
  /** Recipient index → JSON record. */
  rcpts: Record<string, string>;
  queues: readonly EnqueueQueue[];
  /** Accounting records as flat field, value lists. */
  records: readonly (readonly string[])[];
  minuteKey: string;
}

/** Per queue, in the order of `queues`: whether a token needs waking. */
export interface EnqueueReply {
  needsWake: boolean[];
}

/** ARGV[7]: what the script reads besides the scalars, as one JSON document. */
export interface EnqueueDocument {
  meta: string[];
  rcpts: string[];
  /** name, wake mark, recipients, bounce-after (ms) or ''. */
  queues: [string, string, number, number | ''][];
  records: (readonly string[])[];
}

function flat(o: Record<string, string>): string[] {
  const out: string[] = [];
  for (const key in o) out.push(key, o[key]!);
  return out;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The document as JSON. A string with a lone surrogate (possible from an HTTP injection's JSON) would
 * come out as a `\udXXX` escape that Redis's cjson refuses; as a separate argument it went as UTF-8,
 * the surrogate as U+FFFD. So when the JSON has such an escape (well-formed pairs are written as they
 * are), it is written again with every string made well-formed: the bytes stored are those of before.
 */
export function enqueueDocument(doc: EnqueueDocument): string {
  const json = JSON.stringify(doc);
  if (!/\\u[dD][89a-fA-F]/.test(json)) return json;
  return JSON.stringify(doc, (_key, value: unknown) => (typeof value === 'string' ? value.replace(LONE_SURROGATE, '\uFFFD') : value));
}

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
      keys.messageJobs(),
      keys.jobStats(input.job ?? ''),
      keys.jobIndex(),
      keys.expiryIndex(),
      ...input.queues.flatMap((q) => [keys.queueReady(q.name), keys.queueAge(q.name), keys.queueState(q.name), keys.queueAwake(q.name)]),
    ];
    return [
      keyList.length,
      ...keyList,
      id,
      input.body,
      input.receivedAt,
      input.recipients,
      input.job ?? '',
      input.readyAt ?? input.receivedAt,
      enqueueDocument({
        meta: flat(input.meta),
        rcpts: flat(input.rcpts),
        queues: input.queues.map((q) => [q.name, q.mark, q.recipients, q.bounceAfterMs ?? '']),
        records: input.records as (readonly string[])[],
      }),
    ];
  },
  reply: (raw): EnqueueReply => {
    return { needsWake: (raw as number[]).map((f) => f === QUEUE_NEEDS_WAKE) };
  },
});
