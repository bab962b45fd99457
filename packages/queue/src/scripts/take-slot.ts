/**
 * takeSlot: a token run starts holding a connection slot of a queue: records itself as the slot's
 * holder (so the slot can be taken back from it if its process goes silent, and it can tell when
 * that happened) and gives back what the slot still held (its previous holder died), due at `now`.
 *
 * KEYS: 1 inflight (of the slot), 2 ready, 3 state, 4 holder (of the slot).
 * ARGV: 1 now (ms), 2 run (the BullMQ lock token of the run), 3 process id.
 * Returns: how many ids went back.
 */
import type { SlotKeys } from './claim-ids.js';
import { GIVE_BACK } from './requeue.js';
import { defineScript } from './script.js';

const lua = `
redis.call('HSET', KEYS[4], 'run', ARGV[2], 'process', ARGV[3])${GIVE_BACK}
return #ids`;

export const takeSlot = defineScript({
  name: 'vmtaTakeSlot',
  numberOfKeys: 4,
  lua,
  args: (k: SlotKeys, now: number, run: string, processId: string) => [k.inflight, k.ready, k.state, k.holder, now, run, processId],
  reply: (raw) => Number(raw),
});
