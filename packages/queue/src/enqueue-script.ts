/**
 * The enqueue of one message as one Lua script: body, envelope, recipients, the queue
 * entries, wake marks, `r` accounting records and counters, all or nothing, in one
 * command. A MULTI of the same ~15 commands cost the listener a client-side Command
 * object, argument encoding and reply parsing for each of them.
 *
 * Redis refuses a writing script as a whole when it is over maxmemory (noeviction),
 * before it runs, so an out-of-memory Redis leaves nothing half-written either.
 */
import type { Keys } from './keys.js';

// KEYS: body, meta, rcpts, queue index, wake set, acct, totals, minute, then per queue: ready, age, state, awake.
// ARGV: id, body, receivedAt, recipients, minute ttl (s), acct maxlen,
//       n, meta field/value (n values), n, rcpt field/value (n values),
//       queues, per queue: name, wake mark, recipients,
//       records, per record: n, field/value (n values).
// Returns, per queue, 1 when no token needs waking: its token is awake (it will find this mail by
// itself), or the queue is paused and already held mail (a token would only find the pause; resuming
// wakes it); else 0. Then, per queue, 1 when the queue held no mail before (its bounce-after sweep needs
// scheduling: the first message of a paused queue still wakes a token, which schedules it).
export const ENQUEUE_LUA = `
local a = 7
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
  first[q] = redis.call('EXISTS', KEYS[k + 2]) == 0 and 1 or 0
  local held = first[q] == 0 and redis.call('HGET', KEYS[k + 3], 'mode') == 'paused'
  awake[q] = (held or redis.call('EXISTS', KEYS[k + 4]) == 1) and 1 or 0
  redis.call('ZADD', KEYS[k + 1], 'NX', received, id)
  redis.call('ZADD', KEYS[k + 2], 'NX', received, id)
  redis.call('HINCRBY', KEYS[k + 3], 'queued', count)
  redis.call('SADD', KEYS[4], name)
  redis.call('SADD', KEYS[5], mark)
end
local records = tonumber(ARGV[a]); a = a + 1
for r = 1, records do
  redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[6], '*', unpack(take()))
end
redis.call('HINCRBY', KEYS[7], 'received', ARGV[4])
redis.call('HINCRBY', KEYS[8], 'received', ARGV[4])
redis.call('EXPIRE', KEYS[8], ARGV[5])
for q = 1, queues do awake[queues + q] = first[q] end
return awake`;

export interface EnqueueQueue {
  name: string;
  /** JSON of the QueueRef, the wake mark. */
  mark: string;
  recipients: number;
}

export interface EnqueueScriptInput {
  id: string;
  body: Buffer;
  receivedAt: number;
  recipients: number;
  meta: Record<string, string>;
  /** Recipient index → JSON record. */
  rcpts: Record<string, string>;
  queues: EnqueueQueue[];
  /** Accounting records as flat field, value lists. */
  records: string[][];
  minuteKey: string;
  minuteTtlSeconds: number;
  acctMaxLen: number;
}

const flat = (o: Record<string, string>): string[] => Object.entries(o).flat();
const counted = (values: string[]): (string | number)[] => [values.length, ...values];

/** KEYS and ARGV of ENQUEUE_LUA, in the order it reads them (numkeys first, for a command without a fixed key count). */
export function enqueueScriptArgs(keys: Keys, input: EnqueueScriptInput): (string | number | Buffer)[] {
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
    input.minuteTtlSeconds,
    input.acctMaxLen,
    ...counted(flat(input.meta)),
    ...counted(flat(input.rcpts)),
    input.queues.length,
    ...input.queues.flatMap((q) => [q.name, q.mark, q.recipients]),
    input.records.length,
    ...input.records.flatMap((r) => counted(r)),
  ];
}
