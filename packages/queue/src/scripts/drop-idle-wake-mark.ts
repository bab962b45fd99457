/**
 * dropIdleWakeMark: the wake sweep's first look at a marked queue. Every enqueue adds its queue's
 * wake mark, also for a queue whose token is awake (the listener wakes only queues that need it,
 * so those marks stay until the sweep). Waking such a queue after it drained adds a token that
 * finds nothing: a BullMQ add, a fetch, takeSlot, a claim, releaseSlot and a finish, about 60
 * Redis commands a queue, every sweep (the 1,000-domain load kept delivery busy 1–6 s after its
 * last delivery with them). A queue with nothing in `ready` (nothing waiting, due now or later)
 * needs no token: its mark goes. Mail held by a token (in flight) is that token's, and comes back
 * through it or through slot recovery, which wakes the queue.
 *
 * Atomic with the enqueue script: mail enqueued before this call is in `ready` (the mark stays,
 * the sweep wakes the queue); mail enqueued after it adds the mark again.
 *
 * KEYS: 1 ready (of the queue), 2 wake set.
 * ARGV: 1 the wake mark.
 * Returns: 1 when the mark was dropped, 0 when the queue holds waiting mail (wake it).
 */
import { defineScript } from './script.js';

const lua = `
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
redis.call('SREM', KEYS[2], ARGV[1])
return 1`;

export const dropIdleWakeMark = defineScript({
  name: 'vmtaDropIdleWakeMark',
  numberOfKeys: 2,
  lua,
  args: (ready: string, wakeSet: string, mark: string) => [ready, wakeSet, mark],
  reply: (raw) => Number(raw) === 1,
});
