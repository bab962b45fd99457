/**
 * claimShare: takes a slot's share of the due mail of a queue, so a small backlog is spread over
 * the queue's connections instead of lining up behind one of them: due / spread messages, at least
 * one, at most `limit`. An empty claim clears `awake` in the same step: an enqueue after it wakes a
 * token. A paused queue answers CLAIM_PAUSED, so a pause is seen at every claim without a round
 * trip of its own. With a run, it claims only while that run holds the slot.
 *
 * An empty claim also answers when the next message of the queue becomes due, so a token that found
 * nothing knows whether and until when to sleep without another round trip.
 *
 * Mail of a paused job (`vmta pause job`) is not claimed: when any job is paused, each due message's
 * job is looked up and a paused job's message is put back `park` ms ahead (resuming the job brings it
 * back at once), so the rest of the queue keeps flowing. Without paused jobs this costs one SCARD.
 *
 * A connection known to deliver fast passes `at least` (ARGV 7): it takes that many of the due mail
 * (at most `limit`) even when its share is smaller, since spreading a few messages over connections
 * only pays when each takes long (delivery/src/worker/claim-pace.ts decides).
 *
 * A run that will end when it finds nothing (it will not wait for mail) passes its slot's entry
 * under its process: an empty claim then also lets go of the slot (drops the holder record,
 * unlists the slot), as releaseSlot would at the run's end, so the run needs no round trip for that.
 *
 * KEYS: 1 ready, 2 inflight (of the slot), 3 state, 4 awake, 5 holder (of the slot), 6 paused jobs,
 *       7 message jobs, 8 process slots (the run's process; read only with a release entry).
 * ARGV: 1 now (ms), 2 limit, 3 spread (the queue's connections, at least 1), 4 run or '',
 *       5 when mail of a paused job is due again (ms), 6 the slot's entry under its process to
 *       release on an empty claim, or '' (needs a run), 7 at least this many (the share when smaller;
 *       absent: 1).
 * Returns: { due messages left after this claim, claimed ids[, score of the queue's next message
 *          (ms, as a string) when nothing was claimed and the queue holds mail] }, { CLAIM_PAUSED, {} }, or
 *          { SLOT_LOST, {} } when the run no longer holds the slot. An empty claim with a release
 *          entry has let go of the slot.
 */
import { AWAKE_TTL_MS, CLAIM_PAUSED, CLAIM_SCAN_MAX, JOB_PAUSE_PARK_MS, SLOT_LOST } from './constants.js';
import { defineScript } from './script.js';

const lua = `
if ARGV[4] ~= '' and redis.call('HGET', KEYS[5], 'run') ~= ARGV[4] then return {${SLOT_LOST}, {}} end
if redis.call('HGET', KEYS[3], 'mode') == 'paused' then return {${CLAIM_PAUSED}, {}} end
local due = redis.call('ZCOUNT', KEYS[1], '-inf', ARGV[1])
local take = math.min(tonumber(ARGV[2]), math.max(tonumber(ARGV[7] or '1') or 1, math.ceil(due / tonumber(ARGV[3]))))
local ids = {}
if redis.call('SCARD', KEYS[6]) == 0 then
  ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, take)
else
  -- Mail of a paused job is put back ahead (ARGV[5]) and the next due message looked at, up to CLAIM_SCAN_MAX.
  local seen = 0
  while #ids < take and seen < ${CLAIM_SCAN_MAX} do
    local batch = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', #ids, take - #ids)
    if #batch == 0 then break end
    for _, id in ipairs(batch) do
      seen = seen + 1
      local job = redis.call('HGET', KEYS[7], id)
      if job and redis.call('SISMEMBER', KEYS[6], job) == 1 then
        redis.call('ZADD', KEYS[1], ARGV[5], id)
        due = due - 1
      else
        ids[#ids + 1] = id
      end
    end
  end
end
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('SADD', KEYS[2], id)
end
if #ids > 0 then
  redis.call('HINCRBY', KEYS[3], 'inflight', #ids)
  redis.call('SET', KEYS[4], '1', 'PX', ${AWAKE_TTL_MS})
else
  redis.call('DEL', KEYS[4])
  if ARGV[6] ~= '' and ARGV[4] ~= '' then
    redis.call('DEL', KEYS[5])
    redis.call('SREM', KEYS[8], ARGV[6])
  end
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if #first == 2 then return {due, ids, first[2]} end
end
return {due - #ids, ids}`;

export interface ClaimShareKeys {
  ready: string;
  inflight: string;
  state: string;
  awake: string;
  holder: string;
  pausedJobs: string;
  messageJobs: string;
  processSlots: string;
}

export interface ClaimedShare {
  ids: string[];
  /** Due messages left for other connections; CLAIM_PAUSED when the queue is paused, SLOT_LOST when the run lost the slot (nothing claimed). */
  remaining: number;
  /** After an empty claim: when the queue's next message is due (ms); undefined when the queue holds none. */
  nextDue?: number;
}

export const claimShare = defineScript({
  name: 'vmtaClaimShare',
  numberOfKeys: 8,
  lua,
  args: (k: ClaimShareKeys, now: number, limit: number, spread: number, run: string = '', releaseEntry: string = '', parkUntil: number = now + JOB_PAUSE_PARK_MS, atLeast: number = 1) => [
    k.ready,
    k.inflight,
    k.state,
    k.awake,
    k.holder,
    k.pausedJobs,
    k.messageJobs,
    k.processSlots,
    now,
    limit,
    spread,
    run,
    parkUntil,
    releaseEntry,
    Math.max(1, Math.floor(atLeast)),
  ],
  reply: (raw): ClaimedShare => {
    const [remaining, ids, next] = raw as [number, string[], string | undefined];
    return next === undefined ? { ids, remaining } : { ids, remaining, nextDue: Number(next) };
  },
});
