/**
 * The event stream (the accounting stream) as operators and /metrics see it: events read from any
 * point (`vmta events tail`), and how far each `<webhook>` group is behind.
 */
import { ACCOUNTING_MAXLEN, streamPosition, toEvent, type VmtaEvent } from '@vmta/queue';
import type { Cluster } from '../cluster.js';
import { InvalidArgumentError } from '../errors.js';

type Entry = [string, string[]];

export interface ReadEventsOptions {
  /** Start at this entry id or time (inclusive); default: the last `count` events. */
  from?: string;
  /** Only after this id (exclusive): the cursor of a previous read. Wins over `from`. */
  after?: string;
  /** Record types wanted (d, b, s, ...); default every type. */
  types?: readonly string[];
  /** Entries read (before the type filter). Default 100. */
  count?: number;
  /** With `after`: wait up to this long for new entries (XREAD BLOCK). */
  blockMs?: number;
}

export interface EventsPage {
  events: VmtaEvent[];
  /** Pass as `after` to read on; the last id read (or the one given). */
  cursor: string;
}

export async function readEvents(cluster: Cluster, o: ReadEventsOptions = {}): Promise<EventsPage> {
  const key = cluster.keys.accounting();
  const count = o.count ?? 100;
  let entries: Entry[];
  if (o.after !== undefined) {
    const reply = (o.blockMs !== undefined
      ? await cluster.redis.xread('COUNT', count, 'BLOCK', o.blockMs, 'STREAMS', key, o.after)
      : await cluster.redis.xread('COUNT', count, 'STREAMS', key, o.after)) as Array<[string, Entry[]]> | null;
    entries = reply?.[0]?.[1] ?? [];
  } else if (o.from !== undefined) {
    const start = streamPosition(o.from);
    if (start === undefined) throw new InvalidArgumentError(`--from ${o.from}: not a stream id (1700000000000-0), a ms time or an ISO date`);
    entries = (await cluster.redis.xrange(key, start, '+', 'COUNT', count)) as Entry[];
  } else {
    entries = ((await cluster.redis.xrevrange(key, '+', '-', 'COUNT', count)) as Entry[]).reverse();
  }
  const wanted = o.types && o.types.length > 0 ? new Set(o.types) : undefined;
  const events = entries.map(([id, f]) => toEvent(id, f)).filter((e) => wanted === undefined || wanted.has(e.type));
  const last = entries[entries.length - 1]?.[0];
  return { events, cursor: last ?? o.after ?? (await lastId(cluster, key)) };
}

/**
 * readEvents after `after`, waiting up to `waitMs` for an event of the wanted types (HTTP long poll).
 * It polls with non-blocking reads every `pollMs`: a blocking XREAD would hold the connection that
 * every other request of the process shares. Stops early when `gone()` (the client went away).
 */
export async function waitForEvents(
  cluster: Cluster,
  o: Omit<ReadEventsOptions, 'from' | 'blockMs'> & { after: string },
  waitMs: number,
  gone: () => boolean = () => false,
  pollMs = 200,
): Promise<EventsPage> {
  const until = Date.now() + waitMs;
  let page = await readEvents(cluster, o);
  while (page.events.length === 0 && Date.now() < until && !gone()) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(pollMs, until - Date.now()))));
    page = await readEvents(cluster, { ...o, after: page.cursor });
  }
  return page;
}

async function lastId(cluster: Cluster, key: string): Promise<string> {
  const [top] = (await cluster.redis.xrevrange(key, '+', '-', 'COUNT', 1)) as Entry[];
  return top?.[0] ?? '0-0';
}

export interface WebhookLag {
  /** The webhook name (group `webhook:NAME`). */
  webhook: string;
  /** Entries read and not acked (being sent or retried). */
  pending: number;
  /** Age (ms) of the oldest pending entry, 0 when none. */
  oldestPendingAgeMs: number;
  /** Entries not read yet (Redis 7 `lag`; undefined when Redis cannot tell). */
  unread?: number;
}

export interface EventStreamState {
  length: number;
  /** The MAXLEN cap: past it, events no group acked are dropped (loud error in the log). */
  cap: number;
  webhooks: WebhookLag[];
}

/** XINFO GROUPS reply (flat key/value arrays) → objects. */
function groupsOf(reply: unknown): Array<Record<string, unknown>> {
  if (!Array.isArray(reply)) return [];
  return reply.map((raw) => {
    const flat = Array.isArray(raw) ? (raw as unknown[]) : [];
    const out: Record<string, unknown> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
    return out;
  });
}

export async function eventStreamState(cluster: Cluster, now = Date.now()): Promise<EventStreamState> {
  const key = cluster.keys.accounting();
  if ((await cluster.redis.exists(key)) === 0) return { length: 0, cap: ACCOUNTING_MAXLEN, webhooks: [] };
  const webhooks: WebhookLag[] = [];
  for (const g of groupsOf(await cluster.redis.xinfo('GROUPS', key))) {
    const name = String(g.name);
    if (!name.startsWith('webhook:')) continue;
    const pending = Number(g.pending ?? 0);
    let oldestPendingAgeMs = 0;
    if (pending > 0) {
      const summary = (await cluster.redis.xpending(key, name)) as unknown[];
      const oldest = typeof summary[1] === 'string' ? Number(summary[1].split('-')[0]) : now;
      oldestPendingAgeMs = Math.max(0, now - oldest);
    }
    const lag = g.lag === null || g.lag === undefined ? undefined : Number(g.lag);
    webhooks.push({ webhook: name.slice('webhook:'.length), pending, oldestPendingAgeMs, ...(lag !== undefined ? { unread: lag } : {}) });
  }
  return { length: await cluster.redis.xlen(key), cap: ACCOUNTING_MAXLEN, webhooks };
}
