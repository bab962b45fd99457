/**
 * moveToQueue: moves messages a slot of one queue has claimed to another queue (MX rollup: a
 * domain's mail goes to the rolled-up queue NAME.rollup/vmta once delivery knows its MX), in one
 * step per batch, so a kill before it leaves the mail in the slot (given back to `ready` of the
 * source by slot recovery) and a kill after it leaves it in the target: never in both, never in
 * neither. Per message: out of the slot's in-flight set and the source's age index, its queued
 * recipients of the source rewritten to the target queue, into the target's `ready` (due now) and
 * age index (with its received time), the `queued` counts of both queues moved. With a run, only
 * while that run holds the slot. Queue names hold no quote or backslash (domain/vmta), so the
 * recipient JSON is rewritten as text: cjson would re-encode "/" as "\/" and numbers its own way.
 * A moved message loses every `q:<queue>` field of its meta hash (the per-queue recipient index
 * lists a fan-out message may carry for reads of one queue's recipients): without them, reads
 * fall back to all recipients, each filtered by its queue, so no recipient is missed.
 *
 * Bounce-after (scripts/expiry-index.ts): the target enters the index at the oldest moved
 * message's receipt + the target's bounce-after (or keeps an earlier score), with its ref; the
 * source leaves it once its age set is empty.
 *
 * KEYS: 1 inflight (of the source slot), 2 source state, 3 source age, 4 holder (of the slot),
 *       5 target ready, 6 target age, 7 target state, 8 queue index, 9 bounce-after index, then
 *       per id its rcpts hash and its meta hash.
 * ARGV: 1 run or '', 2 source queue, 3 target queue, 4 now (ms), 5 a recipient domain or '',
 *       6 the target's ref JSON, 7 the target's bounce-after (ms) or '', then the ids. With a domain, only the source's recipients of that domain move (a rolled-up queue
 *       whose rollup a reload dropped gives its mail back to the domain queues, one domain at a
 *       time): a message leaves the slot's in-flight set and the source's age index only once no
 *       recipient of the source is left in it.
 * Returns: how many messages moved, or SLOT_LOST.
 */
import type { Keys } from '../keys.js';
import { SLOT_LOST } from './constants.js';
import { refJson, unindexIfEmptyLua, type ExpiryRef } from './expiry-index.js';
import { defineScript, type RedisArg } from './script.js';

const lua = `
if ARGV[1] ~= '' and redis.call('HGET', KEYS[4], 'run') ~= ARGV[1] then return ${SLOT_LOST} end
local from = '"queue":"' .. ARGV[2] .. '"'
local to = '"queue":"' .. ARGV[3] .. '"'
local only = ARGV[5]
local moved = 0
local oldest = nil
for i = 8, #ARGV do
  local id = ARGV[i]
  local rk = KEYS[9 + (i - 7) * 2 - 1]
  local mk = KEYS[9 + (i - 7) * 2]
  if redis.call('SISMEMBER', KEYS[1], id) == 1 then
    local all = redis.call('HGETALL', rk)
    local n, left = 0, 0
    for j = 1, #all, 2 do
      local rec = cjson.decode(all[j + 1])
      local at = string.find(all[j + 1], from, 1, true)
      if rec.queue == ARGV[2] and rec.state == 'queued' and at then
        if only == '' or rec.domain == only then
          local s = all[j + 1]
          redis.call('HSET', rk, all[j], string.sub(s, 1, at - 1) .. to .. string.sub(s, at + #from))
          n = n + 1
        else
          left = left + 1
        end
      end
    end
    if n > 0 then
      for _, field in ipairs(redis.call('HKEYS', mk)) do
        if string.sub(field, 1, 2) == 'q:' then redis.call('HDEL', mk, field) end
      end
    end
    local received = redis.call('ZSCORE', KEYS[3], id)
    if left == 0 then
      redis.call('SREM', KEYS[1], id)
      redis.call('HINCRBY', KEYS[2], 'inflight', -1)
      redis.call('ZREM', KEYS[3], id)
    end
    if n > 0 then
      redis.call('HINCRBY', KEYS[2], 'queued', -n)
      redis.call('HINCRBY', KEYS[7], 'queued', n)
      redis.call('ZADD', KEYS[5], 'NX', ARGV[4], id)
      redis.call('ZADD', KEYS[6], 'NX', received or ARGV[4], id)
      local at = tonumber(redis.call('ZSCORE', KEYS[6], id))
      if not oldest or at < oldest then oldest = at end
      moved = moved + 1
    end
  end
end
if moved > 0 then
  redis.call('SADD', KEYS[8], ARGV[3])
  if ARGV[7] ~= '' then
    redis.call('ZADD', KEYS[9], 'LT', oldest + tonumber(ARGV[7]), ARGV[3])
    redis.call('HSET', KEYS[7], 'ref', ARGV[6])
  end
end
${unindexIfEmptyLua('KEYS[3]', 'KEYS[9]', 'ARGV[2]')}
return moved`;

export interface MoveToQueueInput {
  from: string;
  to: string;
  slot: number;
  ids: readonly string[];
  now: number;
  run?: string;
  /** Only the recipients of this domain (see ARGV 5). */
  domain?: string;
  /** The target queue as delivery names it, and its bounce-after (ms): it enters the bounce-after index. */
  target?: { ref: ExpiryRef; bounceAfterMs: number };
}

export const moveToQueue = defineScript({
  name: 'vmtaMoveToQueue',
  lua,
  /** numkeys first: one rcpts key per id. */
  args: (keys: Keys, m: MoveToQueueInput): RedisArg[] => {
    const keyList = [
      keys.queueInflight(m.from, m.slot),
      keys.queueState(m.from),
      keys.queueAge(m.from),
      keys.queueSlotHolder(m.from, m.slot),
      keys.queueReady(m.to),
      keys.queueAge(m.to),
      keys.queueState(m.to),
      keys.queueIndex(),
      keys.expiryIndex(),
      ...m.ids.flatMap((id) => [keys.messageRecipients(id), keys.messageMeta(id)]),
    ];
    return [keyList.length, ...keyList, m.run ?? '', m.from, m.to, m.now, m.domain ?? '', m.target ? refJson(m.target.ref) : '', m.target?.bounceAfterMs ?? '', ...m.ids];
  },
  reply: (raw) => Number(raw),
});
