/**
 * GET /events (operator: events name recipients): the event stream (the accounting stream, see
 * docs/design/events.md) as JSON, oldest first. `?from=ID|MS|ISO` starts there (default: the last
 * `limit` events), `?after=CURSOR` reads on after a previous page's cursor, `?type=d,b` keeps those
 * types, `?limit=N` entries read (1..1000, default 100), `?wait=S` with `after`: wait up to S seconds
 * (at most 30) for a new event (long poll).
 */
import { EVENT_TYPES, isStreamId, streamPosition } from '@vmta/queue';
import { readEvents, waitForEvents } from '@vmta/control';
import { queryCount } from '../query-count.js';
import { sendJson } from '../respond.js';
import { exact, type Route } from '../route.js';

export const MAX_EVENTS_LIMIT = 1000;
export const MAX_EVENTS_WAIT_S = 30;
const EVENT_TYPE_SET = new Set<string>(EVENT_TYPES);

export interface EventsQuery {
  from?: string;
  after?: string;
  types?: string[];
  limit: number;
  waitMs?: number;
}

/** The query of GET /events, or the message of a 400 (a bad count throws QueryCountError). Pure. */
export function eventsQuery(q: URLSearchParams): EventsQuery | { error: string } {
  const from = q.get('from') ?? undefined;
  const after = q.get('after') ?? undefined;
  if (from !== undefined && streamPosition(from) === undefined) return { error: `from: ${from} is not a stream id (1700000000000-0), a ms time or an ISO date` };
  if (after !== undefined && !isStreamId(after)) return { error: `after: ${after} is not a stream id (the cursor of a previous page)` };
  if (from !== undefined && after !== undefined) return { error: 'give from or after, not both' };
  const types = q.getAll('type').flatMap((t) => t.split(',')).map((t) => t.trim().toLowerCase()).filter((t) => t !== '');
  const badType = types.find((t) => !EVENT_TYPE_SET.has(t));
  if (badType !== undefined) return { error: `type: unknown event type ${badType} (${[...EVENT_TYPE_SET].join(', ')})` };
  const limit = queryCount(q, 'limit', { min: 1, max: MAX_EVENTS_LIMIT, default: 100 });
  const wait = queryCount(q, 'wait', { min: 0, max: MAX_EVENTS_WAIT_S });
  if (wait !== undefined && after === undefined) return { error: `wait: whole seconds (at most ${MAX_EVENTS_WAIT_S}), with after` };
  return {
    ...(from !== undefined ? { from } : {}),
    ...(after !== undefined ? { after } : {}),
    ...(types.length > 0 ? { types } : {}),
    limit,
    ...(wait !== undefined ? { waitMs: wait * 1000 } : {}),
  };
}

export const eventRoutes: Route[] = [
  {
    method: 'GET',
    match: exact('/events'),
    level: 'operator',
    async handle(ctx, res, _params, { query }) {
      const q = eventsQuery(query);
      if ('error' in q) return sendJson(res, 400, { error: 'bad-request', message: q.error });
      const base = { ...(q.types ? { types: q.types } : {}), count: q.limit };
      let gone = false;
      res.once('close', () => (gone = true));
      const page =
        q.after !== undefined && q.waitMs !== undefined
          ? await waitForEvents(ctx.cluster, { ...base, after: q.after }, q.waitMs, () => gone)
          : await readEvents(ctx.cluster, { ...base, ...(q.from !== undefined ? { from: q.from } : {}), ...(q.after !== undefined ? { after: q.after } : {}) });
      if (!gone) sendJson(res, 200, page);
    },
  },
];
