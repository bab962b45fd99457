/**
 * GET /monitor-chart.js: the web monitor's throughput chart (recipients per minute, one line per
 * outcome), a browser ES module imported by monitor.js, which fetches /history and hands the
 * minutes to `renderChart`. The geometry (ticks, paths) comes from chartModel in monitor-lib.js;
 * this module only draws it as SVG with a text summary for screen readers.
 * Embedded as a string for the reason given in monitor-lib-js.ts (same rules: no backquotes,
 * no dollar-brace).
 */
export const MONITOR_CHART_JS = String.raw`// vmta web monitor: the throughput chart.
import { SERIES, chartModel, formatCount } from './monitor-lib.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const CHART_BOX = { width: 720, height: 260, left: 52, right: 14, top: 12, bottom: 28 };

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function legendOf(sums) {
  const list = document.createElement('ul');
  list.className = 'legend';
  for (const s of SERIES) {
    const item = document.createElement('li');
    item.className = s;
    item.textContent = s + ' ' + formatCount(sums[s]);
    list.append(item);
  }
  return list;
}

/** Draws the minutes of /history (oldest first) into box, replacing what it held. */
export function renderChart(box, points) {
  const m = chartModel(points, CHART_BOX);
  const sums = {};
  for (const s of SERIES) sums[s] = points.reduce((n, p) => n + (typeof p[s] === 'number' ? p[s] : 0), 0);
  const summary = 'Recipients per minute over the last ' + points.length + ' minutes: ' +
    SERIES.map((s) => s + ' ' + formatCount(sums[s])).join(', ') + ' in total.';
  const chart = svg('svg', { viewBox: '0 0 ' + CHART_BOX.width + ' ' + CHART_BOX.height, role: 'img', 'aria-labelledby': 'chart-desc' });
  chart.append(svg('title', { id: 'chart-desc' }, summary));
  const right = CHART_BOX.width - CHART_BOX.right;
  const bottom = CHART_BOX.height - CHART_BOX.bottom;
  for (const t of m.yTicks) {
    chart.append(svg('line', { x1: CHART_BOX.left, x2: right, y1: t.y, y2: t.y, class: t.y === bottom ? 'axis' : 'grid' }));
    chart.append(svg('text', { x: CHART_BOX.left - 6, y: t.y + 4, 'text-anchor': 'end' }, t.label));
  }
  chart.append(svg('line', { x1: CHART_BOX.left, x2: CHART_BOX.left, y1: CHART_BOX.top, y2: bottom, class: 'axis' }));
  for (const t of m.xTicks) {
    chart.append(svg('line', { x1: t.x, x2: t.x, y1: bottom, y2: bottom + 4, class: 'axis' }));
    chart.append(svg('text', { x: t.x, y: bottom + 17, 'text-anchor': 'middle' }, t.label));
  }
  if (m.empty) {
    chart.append(svg('text', { x: (CHART_BOX.left + right) / 2, y: (CHART_BOX.top + bottom) / 2, 'text-anchor': 'middle' }, 'no data yet'));
  } else {
    for (const s of SERIES) chart.append(svg('path', { d: m.lines[s], class: 'line ' + s }));
  }
  box.replaceChildren(chart, legendOf(sums));
}
`;
