/**
 * claimIds: claims these ids for a slot, each only if it is waiting in the queue (not held by a
 * token): the bounce-after sweep and deletes take mail this way.
 *
 * KEYS: 1 ready, 2 inflight (of the slot), 3 state.
 * ARGV: the ids.
 * Returns: the ids claimed.
 */
import { defineScript } from './script.js';

const lua = `
local out = {}
for _, id in ipairs(ARGV) do
  if redis.call('ZREM', KEYS[1], id) == 1 then
    redis.call('SADD', KEYS[2], id)
    out[#out + 1] = id
  end
end
if #out > 0 then redis.call('HINCRBY', KEYS[3], 'inflight', #out) end
return out`;

export interface SlotKeys {
  ready: string;
  inflight: string;
  state: string;
  /** Who holds the slot (Keys#queueSlotHolder). */
  holder: string;
}

export const claimIds = defineScript({
  name: 'vmtaClaimIds',
  numberOfKeys: 3,
  lua,
  args: (k: SlotKeys, ids: readonly string[]) => [k.ready, k.inflight, k.state, ...ids],
  reply: (raw) => raw as string[],
});
