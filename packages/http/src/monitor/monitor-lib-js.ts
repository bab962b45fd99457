/**
 * GET /monitor-lib.js: the web monitor's pure helpers (formatting, sorting, chart scaling), a
 * browser ES module kept apart from the DOM code so that monitor-lib.test.ts can import the
 * exact bytes the browser runs.
 *
 * Embedded as a string (not a file read from disk) because tsc copies no .js assets into
 * dist/ and the Docker image carries dist/ only. Inside this String.raw template: no
 * backquotes and no dollar-brace, the browser code uses string concatenation instead.
 */
export const MONITOR_LIB_JS = String.raw`// vmta web monitor: pure helpers (no DOM).
const EMPTY = '\u2014';
const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

function isNumber(v) {
  return typeof v === 'number' && Number.isFinite(v);
}

/** 1234567 -> "1,234,567"; anything that is not a number -> an em dash. */
export function formatCount(v) {
  return isNumber(v) ? grouped.format(v) : EMPTY;
}

/** Messages per minute: one decimal below 10 ("0.4"), whole numbers above ("1,250"). */
export function formatRate(v) {
  if (!isNumber(v)) return EMPTY;
  return Math.abs(v) < 10 ? oneDecimal.format(v) : grouped.format(Math.round(v));
}

function pad2(n) {
  return String(n).padStart(2, '0');
}

/** Seconds -> the two largest units: "42s", "4m 05s", "3h 07m", "2d 04h". */
export function formatDuration(seconds) {
  if (!isNumber(seconds) || seconds < 0) return EMPTY;
  const s = Math.floor(seconds);
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm ' + pad2(s % 60) + 's';
  if (s < 86400) return Math.floor(s / 3600) + 'h ' + pad2(Math.floor((s % 3600) / 60)) + 'm';
  return Math.floor(s / 86400) + 'd ' + pad2(Math.floor((s % 86400) / 3600)) + 'h';
}

/** A time (ms or ISO string) -> "HH:MM" (or "HH:MM:SS") on the operator's clock. */
export function formatClock(t, withSeconds) {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return EMPTY;
  const hm = pad2(d.getHours()) + ':' + pad2(d.getMinutes());
  return withSeconds ? hm + ':' + pad2(d.getSeconds()) : hm;
}

/** A past moment, short: "14:05" within the last 24 hours, "2025-03-09 14:05" before. */
export function formatWhen(t, now) {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return EMPTY;
  if (now - d.getTime() < 86400000) return formatClock(d);
  return d.getFullYear() + '-' + pad2(d.getMonth() + 1) + '-' + pad2(d.getDate()) + ' ' + formatClock(d);
}

/** "connectionsOut" -> "connections out", "sourceHosts" -> "source hosts". */
export function labelOf(key) {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

/** One cell of a generic table: numbers grouped, lists joined, booleans as yes/no. */
export function cellText(v) {
  if (v === null || v === undefined || v === '') return EMPTY;
  if (Array.isArray(v)) return v.length ? v.map(cellText).join(', ') : EMPTY;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return formatCount(v);
  if (typeof v === 'object') return EMPTY;
  return String(v);
}

function isShown(v) {
  return v === null || Array.isArray(v) || typeof v !== 'object';
}

/** The columns of a table of arbitrary rows: every scalar or list field, "name" first, then in order of appearance. */
export function columnsOf(rows) {
  const seen = [];
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (!seen.includes(key) && isShown(value)) seen.push(key);
    }
  }
  return seen.includes('name') ? ['name', ...seen.filter((k) => k !== 'name')] : seen;
}

/** Rows whose "queue mode" text holds every word of the filter (case-insensitive). */
export function filterQueues(rows, text) {
  const words = String(text || '').toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return rows.slice();
  return rows.filter((r) => {
    const hay = (r.queue + ' ' + r.mode + ' ' + (r.members || []).join(' ')).toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/** A sorted copy: by key in direction "asc" | "desc", ties by queue name so the order is stable between refreshes. */
export function sortQueues(rows, key, dir) {
  const sign = dir === 'asc' ? 1 : -1;
  const value = (r) => r[key];
  return rows.slice().sort((a, b) => {
    const x = value(a);
    const y = value(b);
    let c = 0;
    if (typeof x === 'number' && typeof y === 'number') c = x - y;
    else c = String(x ?? '').localeCompare(String(y ?? ''));
    return sign * c || String(a.queue).localeCompare(String(b.queue));
  });
}

/** The smallest 1, 2 or 5 times a power of ten that is >= v (at least 1: counts are whole). */
export function niceStep(v) {
  if (!isNumber(v) || v <= 1) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (m * power >= v) return m * power;
  return 10 * power;
}

/** Y axis for values up to max: about four ticks at a nice step, the top tick >= max. */
export function yScale(max, ticks) {
  const step = niceStep((isNumber(max) && max > 0 ? max : 1) / (ticks || 4));
  const top = Math.max(step, Math.ceil((isNumber(max) ? max : 0) / step) * step);
  const values = [];
  for (let v = 0; v <= top; v += step) values.push(v);
  return { top, step, values };
}

/** Minutes between X labels for a span of minutes: the first of 1, 2, 5, 10, 15, 30, 60 that keeps at most 7 labels. */
export function minuteStep(spanMinutes) {
  for (const m of [1, 2, 5, 10, 15, 30, 60]) if (spanMinutes / m <= 7) return m;
  return 120;
}

export const SERIES = ['received', 'delivered', 'bounced', 'deferred'];

/**
 * The throughput chart as numbers: SVG path data per series, the Y ticks and the minute
 * labels on X. points: [{ t: ISO, received, delivered, bounced, deferred }] oldest first.
 * box: { width, height, left, right, top, bottom } in SVG units.
 */
export function chartModel(points, box) {
  const plotW = box.width - box.left - box.right;
  const plotH = box.height - box.top - box.bottom;
  const rows = points
    .map((p) => ({ ...p, ms: new Date(p.t).getTime() }))
    .filter((p) => Number.isFinite(p.ms));
  const empty = rows.length === 0;
  const t0 = empty ? 0 : rows[0].ms;
  const t1 = empty ? 1 : Math.max(rows[rows.length - 1].ms, t0 + 60000);
  let max = 0;
  for (const p of rows) for (const s of SERIES) if (isNumber(p[s])) max = Math.max(max, p[s]);
  const y = yScale(max, 4);
  const xOf = (ms) => box.left + ((ms - t0) / (t1 - t0)) * plotW;
  const yOf = (v) => box.top + plotH - (v / y.top) * plotH;
  const round = (n) => Math.round(n * 10) / 10;
  const lines = {};
  for (const s of SERIES) {
    lines[s] = rows
      .map((p, i) => (i === 0 ? 'M' : 'L') + round(xOf(p.ms)) + ' ' + round(yOf(isNumber(p[s]) ? p[s] : 0)))
      .join(' ');
  }
  const stepMs = minuteStep((t1 - t0) / 60000) * 60000;
  const xTicks = [];
  if (!empty) {
    // Labels on whole local minutes (10:20, 10:30), also where the UTC offset is not whole hours.
    const offset = new Date(t0).getTimezoneOffset() * 60000;
    for (let ms = Math.ceil((t0 - offset) / stepMs) * stepMs + offset; ms <= t1; ms += stepMs) {
      xTicks.push({ x: round(xOf(ms)), label: formatClock(ms) });
    }
  }
  const yTicks = y.values.map((v) => ({ y: round(yOf(v)), label: formatCount(v) }));
  return { empty, max, lines, xTicks, yTicks };
}
`;
