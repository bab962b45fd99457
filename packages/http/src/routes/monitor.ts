/** GET / (monitor): the web monitor page, with its script and style sheet as separate routes (the CSP allows no inline code). */
import type { ServerResponse } from 'node:http';
import { MONITOR_CSS } from '../monitor/monitor-css.js';
import { MONITOR_HTML } from '../monitor/monitor-html.js';
import { MONITOR_JOBS_JS } from '../monitor/monitor-jobs-js.js';
import { MONITOR_REPORTS_JS } from '../monitor/monitor-reports-js.js';
import { MONITOR_JS } from '../monitor/monitor-js.js';
import { MONITOR_LIB_JS } from '../monitor/monitor-lib-js.js';
import { MONITOR_SOURCES_JS } from '../monitor/monitor-sources-js.js';
import { MONITOR_CHART_JS } from '../monitor/monitor-chart-js.js';
import { MONITOR_DOM_JS } from '../monitor/monitor-dom-js.js';
import { MONITOR_TABLES_JS } from '../monitor/monitor-tables-js.js';
import { exact, type Route } from '../route.js';

/**
 * Same origin only, nothing inline, nothing from elsewhere: the page must work on consoles
 * without internet, and a queue name shown on it can never become code.
 */
export const MONITOR_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  path: string;
  contentType: string;
  body: Buffer;
}

// Encoded once at start-up; every request gets the same bytes.
const ASSETS: Asset[] = [
  { path: '/', contentType: 'text/html; charset=utf-8', body: Buffer.from(MONITOR_HTML) },
  { path: '/monitor.js', contentType: 'text/javascript; charset=utf-8', body: Buffer.from(MONITOR_JS) },
  { path: '/monitor-jobs.js', contentType: 'text/javascript; charset=utf-8', body: Buffer.from(MONITOR_JOBS_JS) },
  { path: '/monitor-sources.js', contentType: 'text/javascript; charset=utf-8', body: Buffer.from(MONITOR_SOURCES_JS) },
  { path: '/monitor-chart.js', contentType: 'text/javascript; charset=utf-8', body: Buffer.from(MONITOR_CHART_JS) },
  { path: '/monitor-dom.js', contentType: 'text/javascript; charset=utf-8', body: Buffer.from(MONITOR_DOM_JS) },
  { path: '/monitor-tables.js', contentType: 'text/javascript; charset=utf-8', body: Buffer.from(MONITOR_TABLES_JS) },
  { path: '/monitor-reports.js', contentType: 'text/javascript; charset=utf-8', body: Buffer.from(MONITOR_REPORTS_JS) },
  { path: '/monitor-lib.js', contentType: 'text/javascript; charset=utf-8', body: Buffer.from(MONITOR_LIB_JS) },
  { path: '/monitor.css', contentType: 'text/css; charset=utf-8', body: Buffer.from(MONITOR_CSS) },
];

function sendAsset(res: ServerResponse, asset: Asset): void {
  res.writeHead(200, {
    'content-type': asset.contentType,
    'content-length': asset.body.length,
    // Operators must never look at a stale page after an upgrade.
    'cache-control': 'no-store',
    'content-security-policy': MONITOR_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(asset.body);
}

export const monitorRoutes: Route[] = ASSETS.map((asset) => ({
  method: 'GET',
  match: exact(asset.path),
  level: 'monitor',
  async handle(_ctx, res) {
    sendAsset(res, asset);
  },
}));
