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

/** Where the claim's Lua finds its arguments (Lua expressions, as its keys: `KEYS[1]`, `ARGV[2]`, ...). */
export interface ClaimLuaArgs {
  now: string;
  limit: string;
  spread: string;
  run: string;
  parkUntil: string;
  releaseEntry: string;
  atLeast: string;
}

/**
 * The claim as Lua over the given KEYS and ARGV expressions, ending in `return` (see the header for
 * what it answers): claimShare's whole script, and the first claim takeSlot makes for a run.
 */
export function claimLua(k: ClaimShareKeys, a: ClaimLuaArgs): string {
  return `
if ${a.run} ~= '' and redis.call('HGET', ${k.holder}, 'run') ~= ${a.run} then return {${SLOT_LOST}, {}} end
if redis.call('HGET', ${k.state}, 'mode') == 'paused' then return {${CLAIM_PAUSED}, {}} end
local due = redis.call('ZCOUNT', ${k.ready}, '-inf', ${a.now})
local take = math.min(tonumber(${a.limit}), math.max(tonumber(${a.atLeast} or '1') or 1, math.ceil(due / tonumber(${a.spread}))))
local ids = {}
if redis.call('SCARD', ${k.pausedJobs}) == 0 then
  ids = redis.call('ZRANGEBYSCORE', ${k.ready}, '-inf', ${a.now}, 'LIMIT', 0, take)
else
  -- Mail of a paused job is put back ahead (${a.parkUntil}) and the next due message looked at, up to CLAIM_SCAN_MAX.
  local seen = 0
  while #ids < take and seen < ${CLAIM_SCAN_MAX} do
    local batch = redis.call('ZRANGEBYSCORE', ${k.ready}, '-inf', ${a.now}, 'LIMIT', #ids, take - #ids)
    if #batch == 0 then break end
    for _, id in ipairs(batch) do
      seen = seen + 1
      local job = redis.call('HGET', ${k.messageJobs}, id)
      if job and redis.call('SISMEMBER', ${k.pausedJobs}, job) == 1 then
        redis.call('ZADD', ${k.ready}, ${a.parkUntil}, id)
        due = due - 1
      else
        ids[#ids + 1] = id
      end
    end
  end
end
for _, id in ipairs(ids) do
  redis.call('ZREM', ${k.ready}, id)
  redis.call('SADD', ${k.inflight}, id)
end
if #ids > 0 then
  redis.call('HINCRBY', ${k.state}, 'inflight', #ids)
  redis.call('SET', ${k.awake}, '1', 'PX', ${AWAKE_TTL_MS})
else
  redis.call('DEL', ${k.awake})
  if ${a.releaseEntry} ~= '' and ${a.run} ~= '' then
    redis.call('DEL', ${k.holder})
    redis.call('SREM', ${k.processSlots}, ${a.releaseEntry})
  end
  local first = redis.call('ZRANGE', ${k.ready}, 0, 0, 'WITHSCORES')
  if #first == 2 then return {due, ids, first[2]} end
end
return {due - #ids, ids}`;
}

const lua = claimLua(
  { ready: 'KEYS[1]', inflight: 'KEYS[2]', state: 'KEYS[3]', awake: 'KEYS[4]', holder: 'KEYS[5]', pausedJobs: 'KEYS[6]', messageJobs: 'KEYS[7]', processSlots: 'KEYS[8]' },
  { now: 'ARGV[1]', limit: 'ARGV[2]', spread: 'ARGV[3]', run: 'ARGV[4]', parkUntil: 'ARGV[5]', releaseEntry: 'ARGV[6]', atLeast: 'ARGV[7]' },
);

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
  reply: (raw): ClaimedShare => claimedShareOf(raw),
});

/** The claim's reply as callers use it (claimShare's, and the claim inside takeSlot's). */
export function claimedShareOf(raw: unknown): ClaimedShare {
  const [remaining, ids, next] = raw as [number, string[], string | undefined];
  return next === undefined ? { ids, remaining } : { ids, remaining, nextDue: Number(next) };
}
