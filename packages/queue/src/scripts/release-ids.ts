/**
 * releaseIds: gives claimed mail back to the queue at the score it had (its due time, a retry or a
 * paused job's park), for a delete that claimed and read it but does not name it (claimForDelete).
 * An id no longer in the slot's in-flight set is left alone, so a repeat changes nothing.
 *
 * KEYS: 1 ready, 2 inflight (of the slot), 3 state.
 * ARGV: pairs of id, score (ms).
 * Returns: the ids given back.
 */
import type { SlotKeys } from './claim-ids.js';
import { defineScript, type RedisArg } from './script.js';

const lua = `
local n = 0
for i = 1, #ARGV, 2 do
  if redis.call('SREM', KEYS[2], ARGV[i]) == 1 then
    redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i])
    n = n + 1
  end
end
if n > 0 then redis.call('HINCRBY', KEYS[3], 'inflight', -n) end
return n`;

export const releaseIds = defineScript({
  name: 'vmtaReleaseIds',
  numberOfKeys: 3,
  lua,
  args: (slot: SlotKeys, entries: ReadonlyArray<{ id: string; score: number }>): RedisArg[] => [
    slot.ready,
    slot.inflight,
    slot.state,
    ...entries.flatMap((e) => [e.id, e.score]),
  ],
  reply: (raw) => Number(raw),
});
