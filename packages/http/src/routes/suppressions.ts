/**
 * The suppression store over HTTP (actions in @vmta/control; no route reads a body, so addresses go in the
 * query string): GET /suppressions (monitor): the stores and their sizes; GET /suppressions/entries?tenant=T
 * [&limit=N] (operator): entries; GET /suppressions/export?tenant=T (operator): CSV; POST
 * /suppressions/add?address=A&address=B[&tenant=T][&reason=R][&expire=30d] and POST
 * /suppressions/remove?address=A[&tenant=T] (operator). Without tenant: `*`, the store of every tenant.
 */
import { parseTimeInterval } from '@vmta/config';
import { suppressAdd, suppressCounts, suppressExport, suppressRemove, suppressShow } from '@vmta/control';
import { queryCount } from '../query-count.js';
import { sendJson } from '../respond.js';
import { exact, type Route } from '../route.js';

const ADDRESS_RE = /^[^\s@]+@[^\s@]+$/;

function addressesOf(query: URLSearchParams): { addresses: string[]; invalid: string[] } {
  const all = query.getAll('address').flatMap((a) => a.split(',')).map((a) => a.trim()).filter((a) => a !== '');
  return { addresses: all.filter((a) => ADDRESS_RE.test(a)), invalid: all.filter((a) => !ADDRESS_RE.test(a)) };
}

export const suppressionRoutes: Route[] = [
  {
    method: 'GET',
    match: exact('/suppressions'),
    level: 'monitor',
    async handle(ctx, res) {
      sendJson(res, 200, { stores: await suppressCounts(ctx.cluster) });
    },
  },
  {
    method: 'GET',
    match: exact('/suppressions/entries'),
    level: 'operator',
    async handle(ctx, res, _params, { query }) {
      const limit = queryCount(query, 'limit', { min: 1, max: 10_000, default: 100 });
      sendJson(res, 200, await suppressShow(ctx.cluster, query.get('tenant') ?? undefined, limit));
    },
  },
  {
    method: 'GET',
    match: exact('/suppressions/export'),
    level: 'operator',
    async handle(ctx, res, _params, { query, head }) {
      res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
      // HEAD: the headers say what GET would send; the store (maybe millions of entries) is not read.
      if (head) return void res.end();
      await suppressExport(ctx.cluster, query.get('tenant') ?? undefined, (chunk) =>
        new Promise<void>((resolve) => (res.write(chunk) ? resolve() : res.once('drain', resolve))),
      );
      res.end();
    },
  },
  {
    method: 'POST',
    match: exact('/suppressions/add'),
    level: 'operator',
    async handle(ctx, res, _params, { query }) {
      const { addresses, invalid } = addressesOf(query);
      let ttlMs = 0;
      try {
        const expire = query.get('expire');
        if (expire) ttlMs = parseTimeInterval(expire);
      } catch (err) {
        return sendJson(res, 400, { error: 'bad-request', message: `expire: ${(err as Error).message}` });
      }
      if (addresses.length === 0 || invalid.length > 0) return sendJson(res, 400, { error: 'bad-request', message: 'give address=... (valid addresses)', invalid });
      const reason = query.get('reason');
      const result = await suppressAdd(ctx.cluster, query.get('tenant') ?? undefined, addresses, { ...(reason ? { reason } : {}), ttlMs });
      ctx.log.info({ event: 'http-suppress-add', tenant: result.tenant, requested: result.requested, added: result.changed }, 'suppressions added');
      sendJson(res, 200, result);
    },
  },
  {
    method: 'POST',
    match: exact('/suppressions/remove'),
    level: 'operator',
    async handle(ctx, res, _params, { query }) {
      const { addresses, invalid } = addressesOf(query);
      if (addresses.length === 0 || invalid.length > 0) return sendJson(res, 400, { error: 'bad-request', message: 'give address=... (valid addresses)', invalid });
      const result = await suppressRemove(ctx.cluster, query.get('tenant') ?? undefined, addresses);
      ctx.log.info({ event: 'http-suppress-remove', tenant: result.tenant, requested: result.requested, removed: result.changed }, 'suppressions removed');
      sendJson(res, 200, result);
    },
  },
];
