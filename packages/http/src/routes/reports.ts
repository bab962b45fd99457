/**
 * The processors' counts and the mail they kept unparsed: GET /reports (monitor: counts only, no
 * addresses), GET /reports/unparsed?limit=N (operator: envelopes), GET /reports/unparsed/ID
 * (operator: the kept message byte for byte, message/rfc822). `vmta show unparsed-reports`.
 */
import { reportCounts, unparsedReportRaw, unparsedReports } from '@vmta/control';
import { ReportStore } from '@vmta/queue';
import { queryCount } from '../query-count.js';
import { sendJson } from '../respond.js';
import { exact, type Route } from '../route.js';

const RAW_PATH = /^\/reports\/unparsed\/(\d+-\d+)$/;

export const reportRoutes: Route[] = [
  {
    method: 'GET',
    match: exact('/reports'),
    level: 'monitor',
    async handle(ctx, res) {
      const [counts, kept] = await Promise.all([reportCounts(ctx.cluster), new ReportStore(ctx.cluster.redis, ctx.cluster.keys.prefix).unparsedCount()]);
      sendJson(res, 200, { ...counts, kept });
    },
  },
  {
    method: 'GET',
    match: exact('/reports/unparsed'),
    level: 'operator',
    async handle(ctx, res, _params, { query }) {
      sendJson(res, 200, await unparsedReports(ctx.cluster, queryCount(query, 'limit', { min: 1, max: 1000, default: 50 })));
    },
  },
  {
    method: 'GET',
    match: (p) => RAW_PATH.exec(p)?.slice(1),
    level: 'operator',
    async handle(ctx, res, [id]) {
      const raw = await unparsedReportRaw(ctx.cluster, id!);
      if (!raw) return sendJson(res, 404, { error: 'not-found' });
      res.writeHead(200, { 'content-type': 'message/rfc822', 'content-length': raw.length, 'x-content-type-options': 'nosniff', 'content-disposition': `attachment; filename="${id}.eml"` });
      res.end(raw);
    },
  },
];
