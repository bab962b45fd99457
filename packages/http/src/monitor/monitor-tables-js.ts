/**
 * GET /monitor-tables.js: the web monitor's plain tables, imported by monitor.js: the processes of
 * the cluster and any JSON array as a table (the VMTAs and pools).
 * Embedded as a string for the reason given in monitor-lib-js.ts (same rules: no backquotes,
 * no dollar-brace).
 */
export const MONITOR_TABLES_JS = String.raw`// vmta web monitor: the processes and VMTAs tables.
import { cellText, columnsOf, formatDuration, formatWhen, labelOf } from './monitor-lib.js';
import { $, EMPTY, el, unavailable } from './monitor-dom.js';

/** The processes table (from /status). */
export function renderProcesses(list) {
  const box = $('processes');
  if (!Array.isArray(list)) {
    $('process-count').textContent = '';
    box.replaceChildren(unavailable());
    return;
  }
  $('process-count').textContent = '(' + list.length + ')';
  if (list.length === 0) {
    box.replaceChildren(unavailable('No process has reported yet.'));
    return;
  }
  const head = ['Process', 'Role', 'Host', 'PID', 'State', 'Started', 'Uptime', 'Last seen', 'VMTAs', 'Listeners'];
  const now = Date.now();
  const rows = list.map((p) =>
    el('tr', null,
      el('th', { scope: 'row', text: p.id || EMPTY }),
      el('td', { text: cellText(p.role) }),
      el('td', { text: cellText(p.host) }),
      el('td', { className: 'num', text: p.pid ?? EMPTY }),
      el('td', { className: p.alive ? 'ok' : 'bad', text: p.alive ? 'up' : 'down' }),
      el('td', { text: p.startedAt ? formatWhen(p.startedAt, now) : EMPTY, title: p.startedAt || null }),
      el('td', { className: 'num', text: formatDuration(p.uptimeSeconds) }),
      el('td', { className: 'num', text: p.lastSeen ? formatDuration((now - new Date(p.lastSeen).getTime()) / 1000) + ' ago' : EMPTY }),
      el('td', { text: cellText(p.vmtas) }),
      el('td', { text: cellText(p.listeners) }),
    ));
  box.replaceChildren(
    el('table', null,
      el('caption', { className: 'visually-hidden', text: 'Processes of the cluster' }),
      el('thead', null, el('tr', null, ...head.map((h) => el('th', { scope: 'col', className: ['PID', 'Uptime', 'Last seen'].includes(h) ? 'num' : '', text: h })))),
      el('tbody', null, ...rows)),
  );
}

/** A JSON array as a plain table in box boxId, its length in countId. */
export function renderRows(rows, boxId, countId, caption, empty) {
  const box = $(boxId);
  if (!Array.isArray(rows)) {
    $(countId).textContent = '';
    box.replaceChildren(unavailable());
    return;
  }
  $(countId).textContent = '(' + rows.length + ')';
  if (rows.length === 0) {
    box.replaceChildren(unavailable(empty));
    return;
  }
  const columns = columnsOf(rows);
  const numeric = new Set(columns.filter((c) => rows.every((r) => r[c] === undefined || r[c] === null || typeof r[c] === 'number')));
  const body = rows.map((r) =>
    el('tr', null, ...columns.map((c, i) =>
      el(i === 0 ? 'th' : 'td', { scope: i === 0 ? 'row' : null, className: numeric.has(c) ? 'num' : '', text: cellText(r[c]) }))));
  box.replaceChildren(
    el('table', null,
      el('caption', { className: 'visually-hidden', text: caption }),
      el('thead', null, el('tr', null, ...columns.map((c) => el('th', { scope: 'col', className: numeric.has(c) ? 'num' : '', text: labelOf(c) })))),
      el('tbody', null, ...body)),
  );
}
`;
