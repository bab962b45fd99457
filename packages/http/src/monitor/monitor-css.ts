/**
 * GET /monitor.css: the web monitor's style sheet. System fonts only (operators' consoles
 * often have no internet), light and dark from the OS setting, one column below 900px.
 * Embedded as a string for the reason given in monitor-lib-js.ts.
 */
export const MONITOR_CSS = String.raw`:root {
  color-scheme: light dark;
  --bg: #f6f7f9;
  --panel: #ffffff;
  --text: #1b1f24;
  --muted: #5b6470;
  --line: #d9dde3;
  --accent: #1f5fbf;
  --received: #5b6470;
  --delivered: #1a7f37;
  --bounced: #c62828;
  --deferred: #b26a00;
  --paused-bg: #fff1c2;
  --retry-bg: #ffe1d6;
  --error-bg: #fde7e9;
  --error-line: #c62828;
  font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
  font-size: 15px;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #14171b;
    --panel: #1c2026;
    --text: #e6e9ed;
    --muted: #9aa3ad;
    --line: #323842;
    --accent: #6aa3ff;
    --received: #9aa3ad;
    --delivered: #4cc26a;
    --bounced: #ff6b6b;
    --deferred: #f0a500;
    --paused-bg: #4a3d00;
    --retry-bg: #4d2a1f;
    --error-bg: #3d1c1f;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); line-height: 1.4; }
header.top {
  display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.4rem 1.5rem;
  padding: 0.8rem 1.25rem; background: var(--panel); border-bottom: 1px solid var(--line);
}
header.top h1 { margin: 0; font-size: 1.25rem; }
header.top .meta { color: var(--muted); }
header.top .updated { margin-left: auto; color: var(--muted); font-size: 0.9rem; }
main { max-width: 1400px; margin: 0 auto; padding: 1rem 1.25rem 2rem; display: grid; gap: 1rem; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 0.8rem 1rem; min-width: 0; }
section h2 { margin: 0 0 0.6rem; font-size: 1.05rem; }
section h2 .count { color: var(--muted); font-weight: normal; }
.banner {
  margin: 1rem 1.25rem 0; padding: 0.6rem 1rem; border: 1px solid var(--error-line);
  border-left-width: 6px; background: var(--error-bg); border-radius: 4px;
}
.banner[hidden] { display: none; }
.banner ul { margin: 0.3rem 0 0; padding-left: 1.2rem; }
.unavailable { color: var(--muted); font-style: italic; margin: 0; }
.stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: 0.6rem; margin: 0; }
.stats div { border: 1px solid var(--line); border-radius: 4px; padding: 0.4rem 0.6rem; }
.stats dt { color: var(--muted); font-size: 0.85rem; }
.stats dd { margin: 0; font-size: 1.3rem; font-variant-numeric: tabular-nums; }
.stats dd small { display: block; font-size: 0.8rem; color: var(--muted); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); font-size: 0.85rem; padding-bottom: 0.3rem; }
th, td { padding: 0.3rem 0.55rem; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
thead th { font-size: 0.85rem; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; }
tbody th { font-weight: 600; }
tbody tr:hover { background: color-mix(in srgb, var(--accent) 6%, transparent); }
th button.sort {
  font: inherit; color: inherit; background: none; border: 0; padding: 0; cursor: pointer;
}
/* The arrows are decoration ("/ ''": no alt text): aria-sort tells screen readers the order. */
th button.sort::after { content: " \2195" / ""; opacity: 0.35; }
th[aria-sort="ascending"] button.sort::after { content: " \25B2" / ""; opacity: 1; }
th[aria-sort="descending"] button.sort::after { content: " \25BC" / ""; opacity: 1; }
.mode { display: inline-block; padding: 0 0.45rem; border-radius: 3px; font-size: 0.85rem; }
.mode-paused { background: var(--paused-bg); }
.mode-retry { background: var(--retry-bg); }
.mode-backoff { background: var(--retry-bg); font-style: italic; }
.ok { color: var(--delivered); }
.bad { color: var(--bounced); font-weight: 600; }
.toolbar { display: flex; flex-wrap: wrap; gap: 0.5rem 1.25rem; align-items: center; margin-bottom: 0.5rem; }
.toolbar input[type="search"] { font: inherit; padding: 0.25rem 0.5rem; min-width: 16rem; max-width: 100%; }
.actions { display: flex; gap: 0.3rem; }
td .actions button, .banner button {
  font: inherit; font-size: 0.85rem; padding: 0.15rem 0.6rem; border-radius: 4px;
  border: 1px solid var(--line); background: var(--bg); color: var(--text); cursor: pointer;
}
td .actions button:hover:not(:disabled) { border-color: var(--accent); }
td .actions button:disabled { opacity: 0.4; cursor: default; }
td .actions button.danger { color: var(--bounced); }
button:focus-visible, input:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
.chart svg { width: 100%; height: auto; display: block; }
.chart .axis { stroke: var(--line); stroke-width: 1; }
.chart .grid { stroke: var(--line); stroke-width: 1; stroke-dasharray: 2 3; }
.chart text { fill: var(--muted); font-size: 11px; }
.chart .line { fill: none; stroke-width: 2; stroke-linejoin: round; }
.chart .received { stroke: var(--received); stroke-dasharray: 6 3; }
.chart .delivered { stroke: var(--delivered); }
.chart .bounced { stroke: var(--bounced); }
.chart .deferred { stroke: var(--deferred); stroke-dasharray: 2 2; }
.legend { display: flex; flex-wrap: wrap; gap: 0.3rem 1rem; list-style: none; margin: 0.4rem 0 0; padding: 0; font-size: 0.85rem; }
.legend li::before { content: ""; display: inline-block; width: 1.4rem; height: 0; border-top: 3px solid; vertical-align: middle; margin-right: 0.35rem; }
.legend .received::before { border-color: var(--received); border-top-style: dashed; }
.legend .delivered::before { border-color: var(--delivered); }
.legend .bounced::before { border-color: var(--bounced); }
.legend .deferred::before { border-color: var(--deferred); border-top-style: dotted; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (min-width: 1100px) {
  main { grid-template-columns: 1fr 1fr; }
  #summary-section, #queues-section, #vmtas-section { grid-column: 1 / -1; }
}
@media (max-width: 600px) {
  header.top .updated { margin-left: 0; }
  main, header.top { padding-left: 0.6rem; padding-right: 0.6rem; }
  .toolbar input[type="search"] { min-width: 0; width: 100%; }
}
dl.facts { display: grid; grid-template-columns: max-content max-content; gap: 0.2em 1em; margin: 0 0 0.8em; }
dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
`;
