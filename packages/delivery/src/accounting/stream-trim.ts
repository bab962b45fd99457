/**
 * Trimming the accounting stream once every consumer group is done with its
 * entries: XTRIM MINID to the lowest id some group still needs, that is for
 * each group its oldest pending entry, or the entry after the last one it was
 * given when nothing is pending. (XDEL of acked ids would remove entries other
 * `<acct-file>` groups have not read yet.)
 */
import type { createRedis } from '@vmta/queue';

type RedisClient = ReturnType<typeof createRedis>;

export interface GroupState {
  name: string;
  lastDeliveredId: string;
  /** Oldest entry given to the group and not acked; undefined when none. */
  oldestPendingId?: string;
}

function parseId(id: string): [bigint, bigint] {
  const [ms = '0', seq = '0'] = id.split('-');
  return [BigInt(ms), BigInt(seq)];
}

export function compareIds(a: string, b: string): number {
  const [am, as] = parseId(a);
  const [bm, bs] = parseId(b);
  return am === bm ? (as === bs ? 0 : as < bs ? -1 : 1) : am < bm ? -1 : 1;
}

/** The id right after `id`. */
export function nextId(id: string): string {
  const [ms, seq] = parseId(id);
  return `${ms}-${seq + 1n}`;
}

/** Lowest id any group still needs (entries below it may go); undefined when there is no group. */
export function trimFloor(groups: readonly GroupState[]): string | undefined {
  let floor: string | undefined;
  for (const g of groups) {
    const need = g.oldestPendingId ?? nextId(g.lastDeliveredId);
    if (floor === undefined || compareIds(need, floor) < 0) floor = need;
  }
  return floor;
}

/** XINFO GROUPS reply (flat key/value arrays) → name and last-delivered-id. */
function parseGroups(reply: unknown): Array<{ name: string; lastDeliveredId: string; pending: number }> {
  if (!Array.isArray(reply)) return [];
  return reply.map((raw: unknown) => {
    const flat = Array.isArray(raw) ? (raw as unknown[]) : [];
    const get = (key: string): unknown => flat[flat.indexOf(key) + 1];
    return { name: String(get('name')), lastDeliveredId: String(get('last-delivered-id') ?? '0-0'), pending: Number(get('pending') ?? 0) };
  });
}

/** Trim `key` below the floor of all its groups. Returns how many entries went. */
export async function trimAccounted(redis: RedisClient, key: string): Promise<number> {
  const groups: GroupState[] = [];
  for (const g of parseGroups(await redis.xinfo('GROUPS', key))) {
    let oldestPendingId: string | undefined;
    if (g.pending > 0) {
      const summary = (await redis.xpending(key, g.name)) as unknown[];
      oldestPendingId = typeof summary[1] === 'string' ? summary[1] : undefined;
    }
    groups.push({ name: g.name, lastDeliveredId: g.lastDeliveredId, ...(oldestPendingId ? { oldestPendingId } : {}) });
  }
  const floor = trimFloor(groups);
  return floor === undefined ? 0 : Number(await redis.xtrim(key, 'MINID', floor));
}
