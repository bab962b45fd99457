/**
 * A message held until its replicas acknowledged it (WAIT before 250, see docs/design/queues.md
 * "Replicas and failover"): the enqueue wrote it with `held` in its meta hash and its queue
 * entries due only at the hold's end. Then either:
 *
 * releaseHeld — the replicas acknowledged it: the entries are due now (earlier for a priority above 50).
 *   KEYS: 1 meta, then per queue: ready, awake.
 *   ARGV: 1 id, 2 when due (ms).
 *   Returns: nil when the message is not held (released or discarded already, or gone), else per
 *            queue QUEUE_NEEDS_WAKE when no token of it is awake (it would not see the entry
 *            before its next due time), else QUEUE_NEEDS_NO_WAKE.
 *
 * discardHeld — they did not: the message goes (the sender got 451 and sends it again), with
 *   its counts. Its `r` accounting records stay in the stream.
 *   KEYS: 1 body, 2 meta, 3 rcpts, 4 totals, 5 minute counters, 6 message jobs, 7 the job's
 *         counters (any key when the message has no job), 8 bounce-after index (a queue left empty
 *         leaves it), then per queue: ready, age, state.
 *   ARGV: 1 id, 2 recipients, then per queue: its name, its recipients.
 *   Returns: 1 when discarded, 0 when the message was not held (then nothing is changed).
 */
import type { Keys } from '../keys.js';
import { QUEUE_NEEDS_NO_WAKE, QUEUE_NEEDS_WAKE } from './constants.js';
import { unindexIfEmptyLua } from './expiry-index.js';
import { defineScript, type RedisArg } from './script.js';

export const HELD_FIELD = 'held';

const releaseLua = `
if redis.call('HDEL', KEYS[1], '${HELD_FIELD}') == 0 then return nil end
local reply = {}
for i = 2, #KEYS, 2 do
  redis.call('ZADD', KEYS[i], 'XX', 'LT', ARGV[2], ARGV[1])
  reply[#reply + 1] = redis.call('EXISTS', KEYS[i + 1]) == 1 and ${QUEUE_NEEDS_NO_WAKE} or ${QUEUE_NEEDS_WAKE}
end
return reply`;

export const releaseHeld = defineScript({
  name: 'vmtaReleaseHeld',
  lua: releaseLua,
  /** numkeys first: one pair of keys per queue. */
  args: (keys: Keys, id: string, queues: readonly string[], now: number): RedisArg[] => {
    const list = [keys.messageMeta(id), ...queues.flatMap((q) => [keys.queueReady(q), keys.queueAwake(q)])];
    return [list.length, ...list, id, now];
  },
  reply: (raw): boolean[] | null => (raw === null ? null : (raw as number[]).map((f) => f === QUEUE_NEEDS_WAKE)),
});

const discardLua = `
if redis.call('HGET', KEYS[2], '${HELD_FIELD}') ~= '1' then return 0 end
local id, n = ARGV[1], tonumber(ARGV[2])
local job = redis.call('HGET', KEYS[2], 'job')
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
if job then
  redis.call('HDEL', KEYS[6], id)
  if redis.call('EXISTS', KEYS[7]) == 1 then redis.call('HINCRBY', KEYS[7], 'received', -n) end
end
for i = 9, #KEYS, 3 do
  local at = 3 + (i - 9) / 3 * 2
  redis.call('ZREM', KEYS[i], id)
  redis.call('ZREM', KEYS[i + 1], id)
  ${unindexIfEmptyLua('KEYS[i + 1]', 'KEYS[8]', 'ARGV[at]')}
  redis.call('HINCRBY', KEYS[i + 2], 'queued', -tonumber(ARGV[at + 1]))
end
redis.call('HINCRBY', KEYS[4], 'received', -n)
if redis.call('EXISTS', KEYS[5]) == 1 then redis.call('HINCRBY', KEYS[5], 'received', -n) end
return 1`;

export interface HeldMessage {
  id: string;
  recipients: number;
  /** Queue name → its recipients. */
  queues: ReadonlyMap<string, number>;
  minuteKey: string;
  /** The message's job, when it has one (its counters are taken back). */
  job?: string;
  /** Its recipient-priority: released that much ahead (priority.ts). */
  priority?: number;
}

export const discardHeld = defineScript({
  name: 'vmtaDiscardHeld',
  lua: discardLua,
  /** numkeys first: three keys per queue. */
  args: (keys: Keys, held: HeldMessage): RedisArg[] => {
    const { id } = held;
    const queues = [...held.queues];
    const list = [
      keys.messageBody(id),
      keys.messageMeta(id),
      keys.messageRecipients(id),
      keys.totals(),
      held.minuteKey,
      keys.messageJobs(),
      keys.jobStats(held.job ?? ''),
      keys.expiryIndex(),
      ...queues.flatMap(([q]) => [keys.queueReady(q), keys.queueAge(q), keys.queueState(q)]),
    ];
    return [list.length, ...list, id, held.recipients, ...queues.flatMap(([q, n]) => [q, n])];
  },
  reply: (raw) => Number(raw) === 1,
});
