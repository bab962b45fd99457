/**
 * GET /monitor.js: the web monitor's DOM code, a browser ES module. Every 5 s it fetches
 * /whoami, /status, /queues, /vmtas and /history (a 404 shows "not available" in that
 * section only, any other failure the error banner) and updates the page in place, so a
 * focused button or the filter keeps its focus. Queue actions are POSTs to the same API.
 * The throughput chart, the jobs and the disabled source IPs have modules of their own
 * (monitor-chart-js.ts, monitor-jobs-js.ts, monitor-sources-js.ts); the DOM helpers and the
 * plain tables (processes, VMTAs) too (monitor-dom-js.ts, monitor-tables-js.ts).
 * Embedded as a string for the reason given in monitor-lib-js.ts (same rules: no
 * backquotes, no dollar-brace).
 */
export const MONITOR_JS = String.raw`// vmta web monitor: fetch, render, act (no framework).
import { SERIES, filterQueues, formatClock, formatCount, formatDuration, formatRate, sortQueues } from './monitor-lib.js';
import { renderChart } from './monitor-chart.js';
import { $, EMPTY, NOT_AVAILABLE, el, unavailable } from './monitor-dom.js';
import { renderProcesses, renderRows } from './monitor-tables.js';

const REFRESH_MS = 5000;
const OPERATORS = ['operator', 'admin'];

const QUEUE_COLUMNS = [
  { key: 'queue', label: 'Queue' },
  { key: 'mode', label: 'Mode' },
  { key: 'queued', label: 'Queued', num: true },
  { key: 'inflight', label: 'In flight', num: true },
  { key: 'deferred', label: 'Deferred', num: true },
  { key: 'oldestAgeSeconds', label: 'Oldest', num: true },
  { key: 'delivered', label: 'Delivered', num: true },
  { key: 'bounced', label: 'Bounced', num: true },
];

const state = {
  level: null,
  queues: null,
  sortKey: 'queued',
  sortDir: 'desc',
  filter: '',
  busy: new Set(),
  fetchErrors: new Map(),
  actionError: '',
  lastGood: 0,
  seq: 0,
  timer: 0,
  headFor: '',
};

function capitalize(s) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// ------------------------------------------------------------------ fetching

/** JSON of a GET; the NOT_AVAILABLE marker for 404 (an endpoint this server does not have); throws otherwise. */
async function getJson(path) {
  let res;
  try {
    res = await fetch(path, { cache: 'no-store', headers: { accept: 'application/json' } });
  } catch (err) {
    throw new Error(path + ': no answer (' + err.message + ')');
  }
  if (res.status === 404) return NOT_AVAILABLE;
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const why = body && (body.message || body.error);
    throw new Error(path + ': HTTP ' + res.status + (why ? ' (' + why + ')' : ''));
  }
  return body;
}

// Path, how to show its answer, and the boxes that say "loading" until its first answer.
const SOURCES = [
  ['/whoami', renderLevel, []],
  ['/status', renderStatus, ['summary', 'processes']],
  ['/queues', renderQueueData, ['queues-empty']],
  ['/vmtas', renderVmtas, ['vmtas']],
  ['/history?minutes=60', renderHistory, ['chart']],
];

/** A section that never got an answer says so instead of "loading" forever. */
function showFailed(ids) {
  for (const id of ids) {
    const box = $(id);
    const loading = box.classList.contains('loading') ? box : box.querySelector('.loading');
    if (!loading) continue;
    loading.textContent = 'could not load: see the error above';
  }
}

async function refresh() {
  clearTimeout(state.timer);
  const seq = ++state.seq;
  const results = await Promise.allSettled(SOURCES.map(([path]) => getJson(path)));
  // A slower, older refresh must not overwrite a newer one (an action starts its own).
  if (seq !== state.seq) return;
  results.forEach((result, i) => {
    const [path, render, boxes] = SOURCES[i];
    if (result.status === 'rejected') {
      state.fetchErrors.set(path, result.reason.message);
      showFailed(boxes);
      return;
    }
    try {
      render(result.value);
      state.fetchErrors.delete(path);
    } catch (err) {
      state.fetchErrors.set(path, path + ': cannot show this answer (' + err.message + ')');
    }
  });
  if (state.fetchErrors.size === 0) {
    state.lastGood = Date.now();
    $('updated').textContent = formatClock(state.lastGood, true);
    $('updated').setAttribute('datetime', new Date(state.lastGood).toISOString());
  }
  renderBanner();
  state.timer = setTimeout(refresh, REFRESH_MS);
}

function renderBanner() {
  const banner = $('error-banner');
  const items = [...state.fetchErrors.values()];
  if (items.length === 0 && !state.actionError) {
    banner.hidden = true;
    banner.replaceChildren();
    return;
  }
  const parts = [];
  if (items.length) {
    const since = state.lastGood ? 'showing data from ' + formatClock(state.lastGood, true) : 'no data yet';
    parts.push(el('strong', { text: 'Refresh failed (' + since + '; retrying every ' + REFRESH_MS / 1000 + ' s):' }));
    parts.push(el('ul', null, ...items.map((m) => el('li', { text: m }))));
  }
  if (state.actionError) {
    const dismiss = el('button', { type: 'button', text: 'Dismiss' });
    dismiss.addEventListener('click', () => {
      state.actionError = '';
      renderBanner();
    });
    parts.push(el('p', null, el('strong', { text: 'Action failed: ' }), state.actionError + ' ', dismiss));
  }
  banner.replaceChildren(...parts);
  banner.hidden = false;
}

// ------------------------------------------------------------------ header, summary, processes

function renderLevel(body) {
  const level = body === NOT_AVAILABLE ? null : body && body.level;
  $('access-level').textContent = level || 'unknown';
  if (level !== state.level) {
    state.level = level;
    renderQueues();
  }
}

function canOperate() {
  return OPERATORS.includes(state.level);
}

function renderStatus(s) {
  if (s === NOT_AVAILABLE) {
    $('summary').replaceChildren(unavailable());
    $('processes').replaceChildren(unavailable());
    return;
  }
  $('version').textContent = s.version || EMPTY;
  $('uptime').textContent = formatDuration(s.uptimeSeconds);
  $('queue-total').textContent = typeof s.queues === 'number' ? '(' + formatCount(s.queues) + ' queues)' : '';
  const stats = el('dl', { className: 'stats' });
  for (const k of SERIES) {
    const rate = s.perMinute ? formatRate(s.perMinute[k]) + '/min last minute' : 'rate ' + NOT_AVAILABLE;
    const rate5 = s.perMinute5 ? formatRate(s.perMinute5[k]) + '/min over 5 min' : '';
    stats.append(
      el('div', null,
        el('dt', { text: capitalize(k) + ' (total)' }),
        el('dd', null, formatCount(s.totals ? s.totals[k] : undefined),
          el('small', { text: rate }), rate5 ? el('small', { text: rate5 }) : '')),
    );
  }
  $('summary').replaceChildren(stats);
  renderProcesses(s.processes);
}

// ------------------------------------------------------------------ queues

function renderQueueData(rows) {
  state.queues = rows === NOT_AVAILABLE || Array.isArray(rows) ? rows : NOT_AVAILABLE;
  renderQueues();
}

/** The header row: built again only when the actions column comes or goes (keeps focus on a sort button). */
function renderQueueHead() {
  const operate = canOperate();
  const headRow = $('queues-head');
  if (state.headFor !== String(operate)) {
    state.headFor = String(operate);
    const cells = QUEUE_COLUMNS.map((c) => {
      const button = el('button', { type: 'button', className: 'sort', 'data-sort': c.key, text: c.label });
      return el('th', { scope: 'col', className: c.num ? 'num' : '', 'data-key': c.key }, button);
    });
    if (operate) cells.push(el('th', { scope: 'col', text: 'Actions' }));
    headRow.replaceChildren(...cells);
  }
  for (const th of headRow.querySelectorAll('th[data-key]')) {
    if (th.dataset.key === state.sortKey) th.setAttribute('aria-sort', state.sortDir === 'asc' ? 'ascending' : 'descending');
    else th.removeAttribute('aria-sort');
  }
}

function renderQueues() {
  const body = $('queues-body');
  const empty = $('queues-empty');
  $('dsn-option').hidden = !canOperate();
  renderQueueHead();
  if (!Array.isArray(state.queues)) {
    body.replaceChildren();
    $('queue-count').textContent = '';
    // Before the first answer the box keeps saying "loading" (or "could not load").
    if (state.queues === NOT_AVAILABLE) {
      empty.classList.remove('loading');
      empty.textContent = NOT_AVAILABLE;
    }
    empty.hidden = false;
    return;
  }
  const all = state.queues;
  const rows = sortQueues(filterQueues(all, state.filter), state.sortKey, state.sortDir);
  $('queue-count').textContent = '(' + (rows.length === all.length ? formatCount(all.length) : formatCount(rows.length) + ' of ' + formatCount(all.length)) + ')';
  empty.classList.remove('loading');
  empty.hidden = rows.length > 0;
  empty.textContent = all.length === 0 ? 'No queues yet.' : 'No queue matches the filter.';
  const existing = new Map([...body.rows].map((tr) => [tr.dataset.queue, tr]));
  const wanted = rows.map((r) => {
    const tr = existing.get(r.queue) || el('tr', { 'data-queue': r.queue });
    fillQueueRow(tr, r);
    return tr;
  });
  for (const tr of existing.values()) if (!wanted.includes(tr)) tr.remove();
  wanted.forEach((tr, i) => {
    if (body.rows[i] !== tr) body.insertBefore(tr, body.rows[i] || null);
  });
}

function actionButton(action, className) {
  return el('button', { type: 'button', 'data-action': action, className: className || '' });
}

/** Updates a row in place; its cells (and buttons) are built once, or again when the actions column comes or goes. */
function fillQueueRow(tr, r) {
  const operate = canOperate();
  const cellCount = QUEUE_COLUMNS.length + (operate ? 1 : 0);
  if (tr.cells.length !== cellCount) {
    const cells = [el('th', { scope: 'row' }), el('td', null, el('span'))];
    for (const c of QUEUE_COLUMNS.slice(2)) cells.push(el('td', { className: 'num' }));
    if (operate) cells.push(el('td', null, el('div', { className: 'actions' }, actionButton('toggle'), actionButton('retry'), actionButton('delete', 'danger'))));
    tr.replaceChildren(...cells);
  }
  const cells = tr.cells;
  cells[0].textContent = r.queue;
  // A rolled-up queue (MX rollup) names the domains it delivers for.
  cells[0].title = Array.isArray(r.members) ? 'rolls up: ' + r.members.join(', ') : '';
  if (Array.isArray(r.members)) cells[0].append(el('small', { className: 'members' }, ' (' + r.members.length + ' domains: ' + r.members.join(', ') + ')'));
  const mode = cells[1].firstChild;
  mode.className = 'mode mode-' + r.mode;
  mode.textContent = r.mode;
  mode.title = [
    r.retryAt ? 'retry at ' + new Date(r.retryAt).toLocaleString() : '',
    r.backoff ? 'backoff since ' + new Date(r.backoff.since).toLocaleString() + (r.backoff.until ? ' until ' + new Date(r.backoff.until).toLocaleString() : '') + ' by ' + (r.backoff.rule || 'the operator') + ': ' + r.backoff.reason : '',
  ].filter(Boolean).join('; ');
  cells[2].textContent = formatCount(r.queued);
  cells[3].textContent = formatCount(r.inflight);
  cells[4].textContent = formatCount(r.deferred);
  cells[5].textContent = r.queued > 0 ? formatDuration(r.oldestAgeSeconds) : EMPTY;
  cells[6].textContent = formatCount(r.delivered);
  cells[7].textContent = formatCount(r.bounced);
  if (!operate) return;
  const [toggle, retry, del] = cells[8].firstChild.children;
  const busy = state.busy.has(r.queue);
  const paused = r.mode === 'paused';
  toggle.dataset.action = paused ? 'resume' : 'pause';
  toggle.textContent = paused ? 'Resume' : 'Pause';
  toggle.setAttribute('aria-label', (paused ? 'Resume' : 'Pause') + ' queue ' + r.queue);
  toggle.disabled = busy;
  retry.textContent = 'Retry';
  retry.setAttribute('aria-label', 'Retry queue ' + r.queue + ' now');
  retry.title = 'leave retry mode now';
  retry.disabled = busy || r.mode !== 'retry';
  del.textContent = 'Delete';
  del.setAttribute('aria-label', 'Delete queue ' + r.queue);
  del.disabled = busy || r.queued === 0;
}

async function act(queue, action) {
  const row = Array.isArray(state.queues) ? state.queues.find((r) => r.queue === queue) : undefined;
  let path = '/queues/' + encodeURIComponent(queue) + '/' + action;
  if (action === 'delete') {
    const dsn = $('delete-dsn').checked;
    const question = 'Delete the ' + formatCount(row ? row.queued : 0) + ' recipient(s) queued for ' + queue + '?\n\n' +
      (dsn ? 'Each sender gets a DSN (bounce).' : 'No DSN is sent to the senders.') + ' This cannot be undone.';
    if (!window.confirm(question)) return;
    if (dsn) path += '?dsn=1';
  }
  state.busy.add(queue);
  renderQueues();
  try {
    const res = await fetch(path, { method: 'POST', cache: 'no-store', headers: { accept: 'application/json', 'x-vmta-request': '1' } });
    const body = await res.json().catch(() => null);
    if (res.status === 404) throw new Error(action + ' ' + queue + ': ' + NOT_AVAILABLE);
    if (!res.ok) {
      const why = body && (body.message || body.error);
      throw new Error(action + ' ' + queue + ': HTTP ' + res.status + (why ? ' (' + why + ')' : ''));
    }
    if (row && body && typeof body.mode === 'string') {
      row.mode = body.mode;
      row.paused = body.mode === 'paused';
    }
    state.actionError = '';
    const outcome = body && body.mode ? 'mode ' + body.mode : body && typeof body.recipients === 'number' ? formatCount(body.recipients) + ' recipient(s)' : 'done';
    $('announce').textContent = action + ' ' + queue + ': ' + outcome;
  } catch (err) {
    state.actionError = err.message;
  } finally {
    state.busy.delete(queue);
    renderQueues();
    renderBanner();
  }
  refresh();
}

// ------------------------------------------------------------------ VMTAs

function renderVmtas(rows) {
  renderRows(rows, 'vmtas', 'vmta-count', 'Virtual MTAs and pools', 'No VMTAs.');
}

// ------------------------------------------------------------------ throughput chart

function renderHistory(h) {
  const box = $('chart');
  if (h === NOT_AVAILABLE || !h || !Array.isArray(h.minutes)) box.replaceChildren(unavailable());
  else renderChart(box, h.minutes);
}

// ------------------------------------------------------------------ wiring

$('queue-filter').addEventListener('input', (e) => {
  state.filter = e.target.value;
  renderQueues();
});

$('queues-head').addEventListener('click', (e) => {
  const button = e.target.closest('button[data-sort]');
  if (!button) return;
  const key = button.dataset.sort;
  const numeric = QUEUE_COLUMNS.some((c) => c.key === key && c.num);
  if (key === state.sortKey) state.sortDir = state.sortDir === 'asc' ? 'desc' : 'asc';
  else {
    state.sortKey = key;
    state.sortDir = numeric ? 'desc' : 'asc';
  }
  renderQueues();
});

$('queues-body').addEventListener('click', (e) => {
  const button = e.target.closest('button[data-action]');
  const tr = button && button.closest('tr');
  if (!button || !tr || button.disabled) return;
  act(tr.dataset.queue, button.dataset.action);
});

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') refresh();
});

refresh();
`;
