/**
 * GET /monitor-jobs.js: the web monitor's jobs table, a browser ES module of its own (monitor.js is
 * big enough). Every 5 s it fetches /whoami and /jobs and renders one row per job: queued,
 * delivered, bounced, first and last seen, and for operators a Pause/Resume button (POST
 * /jobs/ID/pause|resume). Rows are updated in place so a focused button keeps its focus.
 * Embedded as a string for the reason given in monitor-lib-js.ts (same rules: no backquotes,
 * no dollar-brace).
 */
export const MONITOR_JOBS_JS = String.raw`// vmta web monitor: the jobs table.
import { $, el } from './monitor-dom.js';

const REFRESH_MS = 5000;
const OPERATORS = ['operator', 'admin'];
const state = { level: null, busy: new Set(), timer: 0 };

const count = (n) => Number(n || 0).toLocaleString('en-US');
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '\u2014');

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store', headers: { accept: 'application/json' } });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(path + ': HTTP ' + res.status);
  return res.json();
}

function render(jobs) {
  const body = $('jobs-body');
  const empty = $('jobs-empty');
  const operate = OPERATORS.includes(state.level);
  $('jobs-actions-head').hidden = !operate;
  empty.classList.remove('loading');
  if (!Array.isArray(jobs)) {
    body.replaceChildren();
    empty.hidden = false;
    empty.textContent = 'not available on this server';
    return;
  }
  $('job-count').textContent = '(' + jobs.length + ')';
  empty.hidden = jobs.length > 0;
  empty.textContent = 'No jobs yet.';
  const existing = new Map([...body.rows].map((tr) => [tr.dataset.job, tr]));
  const wanted = jobs.map((j) => {
    let tr = existing.get(j.job);
    if (!tr || tr.cells.length !== (operate ? 8 : 7)) {
      tr = el('tr', { 'data-job': j.job });
      const cells = [el('th', { scope: 'row' }), el('td', null, el('span'))];
      for (let i = 0; i < 3; i++) cells.push(el('td', { className: 'num' }));
      cells.push(el('td'), el('td'));
      if (operate) cells.push(el('td', null, el('button', { type: 'button', 'data-job-action': 'toggle' })));
      tr.replaceChildren(...cells);
      existing.get(j.job)?.remove();
    }
    const c = tr.cells;
    c[0].textContent = j.job;
    c[1].firstChild.className = 'mode mode-' + (j.paused ? 'paused' : 'normal');
    c[1].firstChild.textContent = j.paused ? 'paused' : 'normal';
    c[2].textContent = count(j.queued);
    c[3].textContent = count(j.delivered);
    c[4].textContent = count(j.bounced);
    c[5].textContent = when(j.firstSeen);
    c[6].textContent = when(j.lastSeen);
    if (operate) {
      const button = c[7].firstChild;
      const action = j.paused ? 'resume' : 'pause';
      button.dataset.jobAction = action;
      button.textContent = j.paused ? 'Resume' : 'Pause';
      button.setAttribute('aria-label', (j.paused ? 'Resume' : 'Pause') + ' job ' + j.job);
      button.disabled = state.busy.has(j.job);
    }
    return tr;
  });
  for (const tr of existing.values()) if (!wanted.includes(tr)) tr.remove();
  wanted.forEach((tr, i) => {
    if (body.rows[i] !== tr) body.insertBefore(tr, body.rows[i] || null);
  });
}

async function refresh() {
  clearTimeout(state.timer);
  try {
    const who = await getJson('/whoami');
    state.level = who && who.level;
    render(await getJson('/jobs'));
    $('jobs-error').hidden = true;
  } catch (err) {
    $('jobs-error').hidden = false;
    $('jobs-error').textContent = err.message;
  }
  state.timer = setTimeout(refresh, REFRESH_MS);
}

async function act(job, action) {
  state.busy.add(job);
  try {
    const res = await fetch('/jobs/' + encodeURIComponent(job) + '/' + action, { method: 'POST', cache: 'no-store', headers: { accept: 'application/json', 'x-vmta-request': '1' } });
    if (!res.ok) throw new Error(action + ' job ' + job + ': HTTP ' + res.status);
    $('announce').textContent = action + ' job ' + job + ': done';
  } catch (err) {
    $('jobs-error').hidden = false;
    $('jobs-error').textContent = err.message;
  } finally {
    state.busy.delete(job);
  }
  refresh();
}

$('jobs-body').addEventListener('click', (event) => {
  const button = event.target.closest('button[data-job-action]');
  if (!button) return;
  act(button.closest('tr').dataset.job, button.dataset.jobAction);
});

refresh();
`;
