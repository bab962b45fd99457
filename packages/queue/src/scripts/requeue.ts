/**
 * requeue: gives back what a slot held (its previous holder died, or it stops early), due at `now`.
 * With a run, only while that run still holds the slot: a run whose slot was taken must not give
 * back the mail of the slot's next holder.
 *
 * KEYS: 1 inflight (of the slot), 2 ready, 3 state, 4 holder (of the slot).
 * ARGV: 1 now (ms), the score the ids go back with; 2 run, or '' (no holder check).
 * Returns: how many ids went back, or SLOT_LOST.
 */
import type { SlotKeys } from './claim-ids.js';
import { SLOT_LOST } from './constants.js';
import { defineScript } from './script.js';

/** Lua: returns SLOT_LOST unless ARGV[argv] is '' or the run recorded in KEYS[key] (a holder hash). */
export const checkHolder = (key: number, argv: number, keys = 'KEYS', args = 'ARGV'): string => `
if ${args}[${argv}] ~= '' and redis.call('HGET', ${keys}[${key}], 'run') ~= ${args}[${argv}] then return ${SLOT_LOST} end`;

/** Lua shared with takeSlot and releaseSlot: the slot's in-flight ids back to ready at ARGV[1]. */
export const GIVE_BACK = `
local ids = redis.call('SMEMBERS', KEYS[1])
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[2], ARGV[1], id) end
redis.call('DEL', KEYS[1])
if #ids > 0 then redis.call('HINCRBY', KEYS[3], 'inflight', -#ids) end
`;

const lua = `${checkHolder(4, 2)}${GIVE_BACK}
return #ids`;

export const requeue = defineScript({
  name: 'vmtaRequeue',
  numberOfKeys: 4,
  lua,
  args: (k: SlotKeys, now: number, run: string = '') => [k.inflight, k.ready, k.state, k.holder, now, run],
  reply: (raw) => Number(raw),
});
