/**
 * takeSlot: everything a token run does first, in one script. With a run: lists the slot under its
 * process (`proc:<id>:slots`, where recovery looks if the process goes silent) and records the run
 * as the slot's holder (so the slot can be taken back from it, and it can tell when that happened).
 * Gives back what the slot still held (its previous holder died, or a run without a holder stopped),
 * due at `now`. With a queue name (slot 0): the queue goes in the bounce-after index at its oldest
 * message's receipt + bounce-after, or keeps an earlier score (indexExpiry's rule). Answers the
 * queue's state hash, read after all of that.
 *
 * KEYS: 1 inflight (of the slot), 2 ready, 3 state, 4 holder (of the slot), 5 process slots,
 *       6 age, 7 expiry index.
 * ARGV: 1 now (ms), 2 run (the BullMQ lock token of the run) or '' (no holder), 3 process id,
 *       4 the slot's entry under its process, 5 queue or '' (no bounce-after index), 6 ref JSON,
 *       7 bounce-after (ms).
 * Returns: the state hash as HGETALL answers it (field, value, ...).
 */
import type { SlotKeys } from './claim-ids.js';
import { indexExpiryLua } from './expiry-index.js';
import { GIVE_BACK } from './requeue.js';
import { defineScript } from './script.js';

const lua = `
if ARGV[2] ~= '' then
  redis.call('SADD', KEYS[5], ARGV[4])
  redis.call('HSET', KEYS[4], 'run', ARGV[2], 'process', ARGV[3])
end${GIVE_BACK}
if ARGV[5] ~= '' then${indexExpiryLua('KEYS[6]', 'KEYS[3]', 'KEYS[7]', 'ARGV[5]', 'ARGV[6]', 'ARGV[7]')}
end
return redis.call('HGETALL', KEYS[3])`;

export interface TakeSlotKeys extends SlotKeys {
  processSlots: string;
  age: string;
  expiryIndex: string;
}

export interface TakeSlotInput {
  now: number;
  /** The run and its process; without one, the slot's leftovers only go back (no holder, no fencing). */
  holder?: { processId: string; run: string; entry: string };
  /** Slot 0: the queue's bounce-after index entry. */
  expiry?: { queue: string; refJson: string; bounceAfterMs: number };
}

export const takeSlot = defineScript({
  name: 'vmtaTakeSlot',
  numberOfKeys: 7,
  lua,
  args: (k: TakeSlotKeys, input: TakeSlotInput) => [
    k.inflight,
    k.ready,
    k.state,
    k.holder,
    k.processSlots,
    k.age,
    k.expiryIndex,
    input.now,
    input.holder?.run ?? '',
    input.holder?.processId ?? '',
    input.holder?.entry ?? '',
    input.expiry?.queue ?? '',
    input.expiry?.refJson ?? '',
    input.expiry?.bounceAfterMs ?? 0,
  ],
  reply: (raw): Record<string, string> => {
    const flat = raw as string[];
    const h: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) h[flat[i]!] = flat[i + 1]!;
    return h;
  },
});
