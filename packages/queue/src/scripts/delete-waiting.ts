/**
 * deleteWaiting: an operator's delete that needs nothing of the messages in JavaScript (no DSN, no
 * accounting records: nothing reads the event stream) deletes waiting mail of one queue inside
 * Redis, one step per id, with no claim into a slot and no second round trip: each id is finished
 * or left as it was within the script, so a kill never leaves anything half-done.
 *
 * Per id: mail not waiting in `ready` (held by a token, or gone from the queue) is left and counted
 * `busy`. Mail the filter does not name (job, sender, received time) is left. A message gone already
 * (only its queue entries left), or one with no recipient queued here, is only unindexed. A named
 * message whose every pending recipient is a queued recipient of this queue is dropped whole (meta, recipients, body, its job entry), its
 * recipients counted bounced (queue `queued` down and `bounced` up, totals, minute counters, its
 * job's counters); a named message with recipients pending elsewhere too is left untouched and
 * handed back (`handed`): the caller finishes those through claimForDelete and deleteBatch, which
 * write the recipients' new records. Bounded by the caller (DELETE_WAITING ids a call).
 *
 * KEYS: 1 ready, 2 state, 3 totals, 4 age, 5 minute counters, 6 message jobs, 7 bounce-after index
 *       (the queue leaves it once its age set is empty); then per id: meta, rcpts, body, job stats
 *       (of its job, or any key when none).
 * ARGV: 1 queue, 2 job or '' (any), 3 sender in lower case or '' (any), 4 received at or before
 *       (ms) or '' (any), then per id: id, its job or ''.
 * Returns: { busy, ids taken out of the age index, recipients deleted, handed ids }.
 */
import type { Keys } from '../keys.js';
import { bouncedCountersLua } from './bounced-counters.js';
import { unindexIfEmptyLua } from './expiry-index.js';
import { defineScript, type RedisArg } from './script.js';

const lua = `
local queue, wantJob, wantOrig, before = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local busy, removed, total = 0, 0, 0
local handed = {}
local byJob = {}
local m = 0
for a = 5, #ARGV, 2 do
  local id, job = ARGV[a], ARGV[a + 1]
  local k = 7 + m * 4
  m = m + 1
  if not redis.call('ZSCORE', KEYS[1], id) then
    busy = busy + 1
  elseif wantJob == '' or job == wantJob then
    local meta = redis.call('HMGET', KEYS[k + 1], 'from', 'rcv', 'pending')
    if not meta[2] then
      redis.call('ZREM', KEYS[1], id)
      redis.call('ZREM', KEYS[4], id)
      redis.call('HDEL', KEYS[6], id)
      removed = removed + 1
    elseif (wantOrig == '' or string.lower(meta[1] or '') == wantOrig) and (not before or tonumber(meta[2]) <= before) then
      local mine = 0
      for _, json in ipairs(redis.call('HVALS', KEYS[k + 2])) do
        local r = cjson.decode(json)
        if r.queue == queue and r.state == 'queued' then mine = mine + 1 end
      end
      if mine > 0 and tonumber(meta[3] or '0') > mine then
        handed[#handed + 1] = id
      else
        redis.call('ZREM', KEYS[1], id)
        redis.call('ZREM', KEYS[4], id)
        removed = removed + 1
        -- (nothing of it queued here: only taken out of this queue, as deleteBatch does)
        if mine > 0 then
          redis.call('DEL', KEYS[k + 1], KEYS[k + 2], KEYS[k + 3])
          redis.call('HDEL', KEYS[6], id)
          total = total + mine
          if job ~= '' then byJob[KEYS[k + 4]] = (byJob[KEYS[k + 4]] or 0) + mine end
        end
      end
    end
  end
end
${bouncedCountersLua('KEYS[2]', 'KEYS[3]', 'KEYS[5]')}
if removed > 0 then ${unindexIfEmptyLua('KEYS[4]', 'KEYS[7]', 'queue')} end
return { busy, removed, total, handed }`;

export interface DeleteWaitingInput {
  queue: string;
  minuteKey: string;
  /** Only this job's mail. */
  job?: string;
  /** Only mail from this sender (compared without regard to case: ASCII addresses only). */
  orig?: string;
  /** Only mail received at or before this time (ms). */
  receivedBefore?: number;
  /** The ids, each with its job (from the message-jobs hash; a message's job never changes). */
  ids: ReadonlyArray<{ id: string; job?: string }>;
}

export interface DeletedWaiting {
  /** Ids not waiting in the queue (held by a token, or gone from it). */
  busy: number;
  /** Ids taken out of the queue's age index. */
  removed: number;
  /** Recipients deleted (counted bounced). */
  deleted: number;
  /** Named messages with recipients pending in other queues too: left for claimForDelete and deleteBatch. */
  handed: string[];
}

export const deleteWaiting = defineScript({
  name: 'vmtaDeleteWaiting',
  lua,
  args: (keys: Keys, input: DeleteWaitingInput): RedisArg[] => [
    7 + input.ids.length * 4,
    keys.queueReady(input.queue),
    keys.queueState(input.queue),
    keys.totals(),
    keys.queueAge(input.queue),
    input.minuteKey,
    keys.messageJobs(),
    keys.expiryIndex(),
    ...input.ids.flatMap(({ id, job }) => [keys.messageMeta(id), keys.messageRecipients(id), keys.messageBody(id), keys.jobStats(job ?? '')]),
    input.queue,
    input.job ?? '',
    input.orig?.toLowerCase() ?? '',
    input.receivedBefore ?? '',
    ...input.ids.flatMap(({ id, job }) => [id, job ?? '']),
  ],
  reply: (raw): DeletedWaiting => {
    const [busy, removed, deleted, handed] = raw as [number, number, number, string[]];
    return { busy: Number(busy), removed: Number(removed), deleted: Number(deleted), handed };
  },
});
