/**
 * requeue: gives back what a slot held (its previous holder died, or it stops early), due at `now`.
 *
 * KEYS: 1 inflight (of the slot), 2 ready, 3 state.
 * ARGV: 1 now (ms), the score the ids go back with.
 * Returns: how many ids went back.
 */
import type { SlotKeys } from './claim-ids.js';
import { defineScript } from './script.js';

const lua = `
local ids = redis.call('SMEMBERS', KEYS[1])
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[2], ARGV[1], id) end
redis.call('DEL', KEYS[1])
if #ids > 0 then redis.call('HINCRBY', KEYS[3], 'inflight', -#ids) end
return #ids`;

export const requeue = defineScript({
  name: 'vmtaRequeue',
  numberOfKeys: 3,
  lua,
  args: (k: SlotKeys, now: number) => [k.inflight, k.ready, k.state, now],
  reply: (raw) => Number(raw),
});
