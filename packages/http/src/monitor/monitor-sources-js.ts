/**
 * GET /monitor-sources.js: the web monitor's disabled source IPs table, a browser ES module of
 * its own (as /monitor-jobs.js; monitor.js is big enough). Every 5 s it fetches
 * /disabled-sources (disable-source-ip rules and `vmta disable source`) and shows one row per
 * IP and queue: ip, queue, reason, rule, since, until. A 404 says "not available" in the box,
 * any other failure shows in the section's own error line and keeps the last table (drawn by
 * renderRows of monitor-tables.js, as the VMTAs table).
 * Embedded as a string for the reason given in monitor-lib-js.ts (same rules: no backquotes,
 * no dollar-brace).
 */
export const MONITOR_SOURCES_JS = String.raw`// vmta web monitor: the disabled source IPs table.
import { $ } from './monitor-dom.js';
import { renderRows } from './monitor-tables.js';

const REFRESH_MS = 5000;
const PATH = '/disabled-sources';
let timer = 0;

/** The rows as a table (a column is numeric when every value in it is a number or absent). */
function render(rows) {
  renderRows(rows, 'disabled-sources', 'disabled-source-count', 'Disabled source IPs', 'No source IP is disabled.');
}

async function refresh() {
  clearTimeout(timer);
  const error = $('disabled-sources-error');
  try {
    let res;
    try {
      res = await fetch(PATH, { cache: 'no-store', headers: { accept: 'application/json' } });
    } catch (err) {
      throw new Error(PATH + ': no answer (' + err.message + ')');
    }
    if (res.status === 404) render(null);
    else {
      const body = await res.json().catch(() => null);
      if (!res.ok) throw new Error(PATH + ': HTTP ' + res.status + (body && body.error ? ' (' + body.error + ')' : ''));
      render(body);
    }
    error.hidden = true;
  } catch (err) {
    error.textContent = 'Refresh failed: ' + err.message;
    error.hidden = false;
    const loading = $('disabled-sources').querySelector('.loading');
    if (loading) loading.textContent = 'could not load: see the error above';
  }
  timer = setTimeout(refresh, REFRESH_MS);
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') refresh();
});

refresh();
`;
