/**
 * GET /monitor-dom.js: the DOM helpers the web monitor's modules share (monitor.js, the tables,
 * the jobs): element lookup, element building and the "not available" note (a 404 of an endpoint).
 * Embedded as a string for the reason given in monitor-lib-js.ts (same rules: no backquotes,
 * no dollar-brace).
 */
export const MONITOR_DOM_JS = String.raw`// vmta web monitor: DOM helpers.
export const NOT_AVAILABLE = 'not available on this server';
export const EMPTY = '\u2014';

export const $ = (id) => document.getElementById(id);

/** document.createElement with attributes ("text" sets textContent) and children. */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') node.textContent = String(v);
    else if (k === 'className') node.className = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  node.append(...children);
  return node;
}

export function unavailable(text) {
  return el('p', { className: 'unavailable', text: text || NOT_AVAILABLE });
}
`;
