/**
 * GET /monitor-sources.js: the web monitor's disabled source IPs table, a browser ES module of
 * its own (as /monitor-jobs.js; monitor.js is big enough). Every 5 s it fetches
 * /disabled-sources (disable-source-ip rules and `vmta disable source`) and shows one row per
 * IP and queue: ip, queue, reason, rule, since, until. A 404 says "not available" in the box,
 * any other failure shows in the section's own error line and keeps the last table.
 * Embedded as a string for the reason given in monitor-lib-js.ts (same rules: no backquotes,
 * no dollar-brace).
 */
export const MONITOR_SOURCES_JS = String.raw`// vmta web monitor: the disabled source IPs table.
import { cellText, columnsOf, labelOf } from './monitor-lib.js';

const REFRESH_MS = 5000;
const PATH = '/disabled-sources';
const $ = (id) => document.getElementById(id);
let timer = 0;

function el(tag, attrs, text, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  node.append(...children);
  return node;
}

function note(text) {
  return el('p', { class: 'unavailable' }, text);
}

/** The rows as a table (a column is numeric when every value in it is a number or absent). */
function render(rows) {
  const box = $('disabled-sources');
  if (!Array.isArray(rows)) {
    $('disabled-source-count').textContent = '';
    box.replaceChildren(note('not available on this server'));
    return;
  }
  $('disabled-source-count').textContent = '(' + rows.length + ')';
  if (rows.length === 0) {
    box.replaceChildren(note('No source IP is disabled.'));
    return;
  }
  const columns = columnsOf(rows);
  const numeric = new Set(columns.filter((c) => rows.every((r) => r[c] === undefined || r[c] === null || typeof r[c] === 'number')));
  const num = (c) => (numeric.has(c) ? 'num' : '');
  const body = rows.map((r) =>
    el('tr', null, undefined, ...columns.map((c, i) => el(i === 0 ? 'th' : 'td', { scope: i === 0 ? 'row' : '', class: num(c) }, cellText(r[c])))));
  box.replaceChildren(
    el('table', null, undefined,
      el('caption', { class: 'visually-hidden' }, 'Disabled source IPs'),
      el('thead', null, undefined, el('tr', null, undefined, ...columns.map((c) => el('th', { scope: 'col', class: num(c) }, labelOf(c))))),
      el('tbody', null, undefined, ...body)),
  );
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
