/**
 * releaseSlot: a run lets go of its slot (giveBack 0: it ended and held nothing more), or recovery
 * takes the slot from a run whose process went silent (giveBack 1: the slot's in-flight mail goes
 * back to ready, due at `now`). Either only while that run still holds the slot; once the holder
 * record is gone, every later step of the old run (claimShare, recordOutcomes, requeue) answers
 * SLOT_LOST.
 *
 * KEYS: 1 inflight (of the slot), 2 ready, 3 state, 4 holder (of the slot).
 * ARGV: 1 now (ms), 2 run, 3 giveBack (1 or 0).
 * Returns: how many ids went back (0 when giveBack is 0), or SLOT_LOST when the run did not hold the slot.
 */
import type { SlotKeys } from './claim-ids.js';
import { checkHolder, GIVE_BACK } from './requeue.js';
import { defineScript } from './script.js';

const lua = `${checkHolder(4, 2)}
redis.call('DEL', KEYS[4])
if ARGV[3] ~= '1' then return 0 end${GIVE_BACK}
return #ids`;

export const releaseSlot = defineScript({
  name: 'vmtaReleaseSlot',
  numberOfKeys: 4,
  lua,
  args: (k: SlotKeys, now: number, run: string, giveBack: boolean) => [k.inflight, k.ready, k.state, k.holder, now, run, giveBack ? 1 : 0],
  reply: (raw) => Number(raw),
});
