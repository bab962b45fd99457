/**
 * claimForDelete: a delete (purge job) claims these ids for its slot and reads them in the same
 * step, so each candidate is read once and what it reads cannot change before the delete finishes
 * it (a token never touches claimed mail). Only mail waiting in the queue is claimed (not mail a
 * token holds); with a job, only that job's mail (looked up in the message-jobs hash, as claimShare
 * does for paused jobs), so a delete by job never claims other mail. The body is never read.
 * Bounded by the caller (a few hundred ids a call).
 *
 * KEYS: 1 ready, 2 inflight (of the slot), 3 state, 4 message jobs; then per id: meta, rcpts.
 * ARGV: 1 job or '' (any), then the ids (in the order of their KEYS).
 * Returns: { how many ids were not waiting (held by a token, or gone), per claimed message { id, its
 *          score in ready (ms, string: given back when it is not deleted after all), meta values of
 *          CLAIM_META_FIELDS (false when absent), recipient JSON list } }.
 */
import type { Keys } from '../keys.js';
import type { SlotKeys } from './claim-ids.js';
import { defineScript, type RedisArg } from './script.js';

/** The meta fields a delete needs: the filter's (from, job, rcv) and the accounting record's. */
export const CLAIM_META_FIELDS = ['from', 'job', 'rcv', 'src', 'size', 'vmta', 'pool', 'envid', 'ret'] as const;

const lua = `
local out = {}
local busy = 0
local job = ARGV[1]
for i = 2, #ARGV do
  local id = ARGV[i]
  local score = redis.call('ZSCORE', KEYS[1], id)
  if not score then busy = busy + 1 end
  if score and (job == '' or redis.call('HGET', KEYS[4], id) == job) then
    redis.call('ZREM', KEYS[1], id)
    redis.call('SADD', KEYS[2], id)
    local k = 4 + (i - 2) * 2
    out[#out + 1] = { id, score, redis.call('HMGET', KEYS[k + 1], '${CLAIM_META_FIELDS.join("', '")}'), redis.call('HVALS', KEYS[k + 2]) }
  end
end
if #out > 0 then redis.call('HINCRBY', KEYS[3], 'inflight', #out) end
return { busy, out }`;

export interface ClaimedForDelete {
  id: string;
  /** Its score in ready when claimed: where it goes back if the delete does not name it after all. */
  score: number;
  /** Values of CLAIM_META_FIELDS, null when absent (all null: the message is gone). */
  meta: Array<string | null>;
  recipients: string[];
}

export const claimForDelete = defineScript({
  name: 'vmtaClaimForDelete',
  lua,
  args: (keys: Keys, slot: SlotKeys, job: string | undefined, ids: readonly string[]): RedisArg[] => [
    4 + ids.length * 2,
    slot.ready,
    slot.inflight,
    slot.state,
    keys.messageJobs(),
    ...ids.flatMap((id) => [keys.messageMeta(id), keys.messageRecipients(id)]),
    job ?? '',
    ...ids,
  ],
  reply: (raw): { busy: number; claimed: ClaimedForDelete[] } => {
    const [busy, claimed] = raw as [number, Array<[string, string, Array<string | null>, string[]]>];
    return { busy: Number(busy), claimed: claimed.map(([id, score, meta, recipients]) => ({ id, score: Number(score), meta, recipients })) };
  },
});
