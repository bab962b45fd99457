/**
 * takeSlot: everything a token run does first, in one script. With a run: lists the slot under its
 * process (`proc:<id>:slots`, where recovery looks if the process goes silent) and records the run
 * as the slot's holder (so the slot can be taken back from it, and it can tell when that happened).
 * Gives back what the slot still held (its previous holder died, or a run without a holder stopped),
 * due at `now`. With a queue name (slot 0): the queue goes in the bounce-after index at its oldest
 * message's receipt + bounce-after, or keeps an earlier score (indexExpiry's rule). Reads the
 * queue's state hash after all of that.
 *
 * With a claim limit above 0, a queue whose state is plain (normal mode, no retry time, no backoff
 * or recovery fields: nothing that changes the run's limits) also gets the run's first claim in the
 * same script, exactly as claimShare would make it next (claimLua): for a queue of one message
 * that is one round trip of the run's few fewer. Any other state claims nothing here; the run
 * decides from the state and claims with claimShare, as before.
 *
 * KEYS: 1 inflight (of the slot), 2 ready, 3 state, 4 holder (of the slot), 5 process slots,
 *       6 age, 7 expiry index, 8 awake, 9 paused jobs, 10 message jobs.
 * ARGV: 1 now (ms), 2 run (the BullMQ lock token of the run) or '' (no holder), 3 process id,
 *       4 the slot's entry under its process, 5 queue or '' (no bounce-after index), 6 ref JSON,
 *       7 bounce-after (ms), 8 claim limit (0: no claim), 9 spread, 10 when mail of a paused job is
 *       due again (ms), 11 the slot's entry to release on an empty claim or '', 12 at least.
 * Returns: { the state hash as HGETALL answers it (field, value, ...)[, the claim's reply (claimShare's)] }.
 */
import type { SlotKeys } from './claim-ids.js';
import { claimedShareOf, claimLua, type ClaimedShare } from './claim-share.js';
import { JOB_PAUSE_PARK_MS } from './constants.js';
import { indexExpiryLua } from './expiry-index.js';
import { GIVE_BACK } from './requeue.js';
import { defineScript } from './script.js';

const claim = claimLua(
  { ready: 'KEYS[2]', inflight: 'KEYS[1]', state: 'KEYS[3]', awake: 'KEYS[8]', holder: 'KEYS[4]', pausedJobs: 'KEYS[9]', messageJobs: 'KEYS[10]', processSlots: 'KEYS[5]' },
  { now: 'ARGV[1]', limit: 'ARGV[8]', spread: 'ARGV[9]', run: 'ARGV[2]', parkUntil: 'ARGV[10]', releaseEntry: 'ARGV[11]', atLeast: 'ARGV[12]' },
);

const lua = `
local function claim()${claim}
end
if ARGV[2] ~= '' then
  redis.call('SADD', KEYS[5], ARGV[4])
  redis.call('HSET', KEYS[4], 'run', ARGV[2], 'process', ARGV[3])
end${GIVE_BACK}
if ARGV[5] ~= '' then${indexExpiryLua('KEYS[6]', 'KEYS[3]', 'KEYS[7]', 'ARGV[5]', 'ARGV[6]', 'ARGV[7]')}
end
local state = redis.call('HGETALL', KEYS[3])
if tonumber(ARGV[8]) > 0 then
  for i = 1, #state, 2 do
    local f = state[i]
    if f == 'retryAt' or f == 'backoffSince' or f == 'recoverySince' or (f == 'mode' and state[i + 1] ~= 'normal') then return {state} end
  end
  return {state, claim()}
end
return {state}`;

export interface TakeSlotKeys extends SlotKeys {
  processSlots: string;
  age: string;
  expiryIndex: string;
  awake: string;
  pausedJobs: string;
  messageJobs: string;
}

/** The run's first claim, made in takeSlot when the queue's state is plain (claimShare's arguments). */
export interface FirstClaim {
  limit: number;
  spread: number;
  /** Let go of the slot when the claim finds nothing (the run would end): the holder's entry is released. */
  releaseIfEmpty: boolean;
  atLeast: number;
}

export interface TakeSlotInput {
  now: number;
  /** The run and its process; without one, the slot's leftovers only go back (no holder, no fencing). */
  holder?: { processId: string; run: string; entry: string };
  /** Slot 0: the queue's bounce-after index entry. */
  expiry?: { queue: string; refJson: string; bounceAfterMs: number };
  claim?: FirstClaim;
}

export interface TakenSlot {
  state: Record<string, string>;
  /** The first claim, when one was asked for and the state was plain. */
  claimed?: ClaimedShare;
}

export const takeSlot = defineScript({
  name: 'vmtaTakeSlot',
  numberOfKeys: 10,
  lua,
  args: (k: TakeSlotKeys, input: TakeSlotInput) => [
    k.inflight,
    k.ready,
    k.state,
    k.holder,
    k.processSlots,
    k.age,
    k.expiryIndex,
    k.awake,
    k.pausedJobs,
    k.messageJobs,
    input.now,
    input.holder?.run ?? '',
    input.holder?.processId ?? '',
    input.holder?.entry ?? '',
    input.expiry?.queue ?? '',
    input.expiry?.refJson ?? '',
    input.expiry?.bounceAfterMs ?? 0,
    input.claim ? Math.max(1, input.claim.limit) : 0,
    Math.max(1, input.claim?.spread ?? 1),
    input.now + JOB_PAUSE_PARK_MS,
    input.claim?.releaseIfEmpty && input.holder ? input.holder.entry : '',
    Math.max(1, Math.floor(input.claim?.atLeast ?? 1)),
  ],
  reply: (raw): TakenSlot => {
    const [flat, claim] = raw as [string[], unknown];
    const state: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) state[flat[i]!] = flat[i + 1]!;
    return claim === undefined ? { state } : { state, claimed: claimedShareOf(claim) };
  },
});
