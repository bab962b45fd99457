/**
 * GET /monitor-reports.js: the web monitor's suppression and report counts, a browser ES module of its
 * own (monitor.js is big enough). Every 10 s it fetches /suppressions (entries per tenant's store,
 * HLEN on the server: no scan) and /reports (feedback loop and bounce reports taken, mail kept
 * unparsed) and renders them. Same rules as monitor-lib-js.ts (no backquotes, no dollar-brace).
 */
export const MONITOR_REPORTS_JS = String.raw`// vmta web monitor: suppressions and reports.
const REFRESH_MS = 10000;
const $ = (id) => document.getElementById(id);
const count = (n) => Number(n || 0).toLocaleString('en-US');

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store', headers: { accept: 'application/json' } });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(path + ': HTTP ' + res.status);
  return res.json();
}

function renderReports(r) {
  const box = $('reports');
  if (!r) return box.replaceChildren(el('p', 'not available on this server', 'unavailable'));
  const dl = el('dl', undefined, 'facts');
  for (const [label, value] of [['Complaints (FBL)', r.fbl], ['Remote bounces', r.bounce], ['Not reports, kept', r.kept], ['Not reports, ever', r.unparsed]]) {
    dl.append(el('dt', label), el('dd', count(value)));
  }
  box.replaceChildren(dl);
}

function renderSuppressions(s) {
  const box = $('suppressions');
  const stores = s && Array.isArray(s.stores) ? [...s.stores].sort((a, b) => b.entries - a.entries) : null;
  if (!stores) return box.replaceChildren(el('p', 'not available on this server', 'unavailable'));
  $('suppression-count').textContent = '(' + count(stores.reduce((n, x) => n + x.entries, 0)) + ')';
  if (stores.length === 0) return box.replaceChildren(el('p', 'No address is suppressed.', 'unavailable'));
  const table = el('table');
  const head = el('tr');
  head.append(el('th', 'Tenant'), el('th', 'Addresses', 'num'));
  for (const th of head.cells) th.scope = 'col';
  const body = el('tbody');
  for (const x of stores) {
    const tr = el('tr');
    const th = el('th', x.tenant === '*' ? '* (every tenant)' : x.tenant);
    th.scope = 'row';
    tr.append(th, el('td', count(x.entries), 'num'));
    body.append(tr);
  }
  const thead = el('thead');
  thead.append(head);
  table.append(el('caption', 'Suppressed addresses per tenant', 'visually-hidden'), thead, body);
  box.replaceChildren(table);
}

async function refresh() {
  try {
    const [s, r] = await Promise.all([getJson('/suppressions'), getJson('/reports')]);
    renderSuppressions(s);
    renderReports(r);
    $('reports-error').hidden = true;
  } catch (err) {
    $('reports-error').hidden = false;
    $('reports-error').textContent = err.message;
  }
  setTimeout(refresh, REFRESH_MS);
}

refresh();
`;
