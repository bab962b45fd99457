/**
 * The walk of a delete that needs nothing of the messages here: no DSN, no accounting records
 * (nothing reads the event stream) and a filter Redis can apply (job, a sender address, age; not a
 * recipient filter or a pattern). Each page of the queue's age index is deleted inside Redis
 * (QueueOps#deleteWaiting: no claim, no read of the messages, one step per id); the few messages
 * with recipients pending in other queues too are handed to `viaClaims` (the claim-read-delete path
 * of purge.ts, which writes their recipients' records) before the next page is read.
 */
import type { MessageFilter, QueueOps } from '@vmta/queue';

/** Ids per page of the age index (each deleteWaiting call still takes DELETE_WAITING of them). */
const PAGE = 2_000;

/** Whether a delete can be done this way. */
export function deletableInRedis(ops: QueueOps, dsn: boolean, filter: MessageFilter | undefined): boolean {
  if (dsn || ops.recordsWanted()) return false;
  // eslint-disable-next-line no-control-regex
  return filter?.rcpt === undefined && (filter?.orig === undefined || (!filter.orig.startsWith('/') && /^[\x00-\x7f]*$/.test(filter.orig)));
}

export interface RedisWalk {
  deleted: number;
  /** Ids held by a token when looked at. */
  busy: number;
  /** Age index entries this walk took out. */
  removed: number;
  /** True when it stopped early (shutdown). */
  stopped: boolean;
}

/**
 * Walks the mail received up to `before`; `viaClaims` finishes handed ids and says how many stayed
 * in the age index, how many were held by a token and how many recipients it deleted. `stopping`: checked between pages.
 */
export async function purgeInRedis(
  ops: QueueOps,
  queue: string,
  before: number,
  filter: MessageFilter | undefined,
  now: () => number,
  viaClaims: (ids: string[]) => Promise<{ staying: number; deleted: number; busy: number }>,
  stopping: () => boolean,
): Promise<RedisWalk> {
  const walk: RedisWalk = { deleted: 0, busy: 0, removed: 0, stopped: false };
  const wanted = { job: filter?.job, orig: filter?.orig, receivedBefore: filter?.receivedBefore };
  // Entries of the age index this walk left behind (held, not named): the next page starts after them.
  let kept = 0;
  let page = await ops.receivedBefore(queue, before, PAGE, 0);
  while (page.length > 0) {
    // The next page is read while this one is deleted: sent first, it still sees this page's
    // entries, so it starts right after them (round trips, not Redis time, set the pace of a walk).
    const next = page.length < PAGE || stopping() ? undefined : quiet(ops.receivedBefore(queue, before, PAGE, kept + page.length));
    const done = await ops.deleteWaiting(queue, page, wanted, now());
    let removed = done.removed;
    walk.deleted += done.deleted;
    walk.busy += done.busy;
    if (done.handed.length > 0) {
      const handed = await viaClaims(done.handed);
      removed += done.handed.length - handed.staying;
      walk.deleted += handed.deleted;
      walk.busy += handed.busy;
    }
    walk.removed += removed;
    kept += page.length - removed;
    if (next === undefined) {
      walk.stopped = page.length === PAGE;
      break;
    }
    page = await next;
  }
  return walk;
}

/** A promise whose rejection is surfaced where it is awaited, never as unhandled meanwhile. */
export function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}
