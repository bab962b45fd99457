/** What a test reads from BullMQ's event stream of a lane. */
import type { Redis } from 'ioredis';
import { Keys, laneName, tokenId } from '@vmta/queue';

/** The slots (below `slots`) of `queue` whose token was ever added to the lane of `vmta`. */
export async function slotsAdded(redis: Redis, prefix: string, queue: string, vmta = 'mta1', slots = 5): Promise<number[]> {
  const events = await redis.xrange(`${new Keys(prefix).bullPrefix()}:${laneName(vmta)}:events`, '-', '+');
  const added = new Set<number>();
  for (const [, fields] of events) {
    const at = fields.indexOf('jobId');
    for (let slot = 0; slot < slots; slot++) if (fields[at + 1] === tokenId(queue, slot) && fields.includes('added')) added.add(slot);
  }
  return [...added].sort();
}
