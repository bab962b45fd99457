/**
 * GET /: the web monitor's page. Markup only: the content comes from /monitor.js (with
 * /monitor-jobs.js and /monitor-sources.js for their tables), which fetch the JSON endpoints
 * every 5 s. No inline script or style (the page is served with
 * a Content-Security-Policy that forbids them). Embedded as a string for the reason given
 * in monitor-lib-js.ts.
 */
export const MONITOR_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vmta monitor</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/monitor.css">
<script type="module" src="/monitor.js"></script>
<script type="module" src="/monitor-jobs.js"></script>
<script type="module" src="/monitor-sources.js"></script>
<script type="module" src="/monitor-reports.js"></script>
</head>
<body>
<header class="top">
  <h1>vmta monitor</h1>
  <span class="meta">version <span id="version">&mdash;</span></span>
  <span class="meta">uptime <span id="uptime">&mdash;</span></span>
  <span class="meta">access <span id="access-level">&mdash;</span></span>
  <p class="updated" aria-live="polite">last updated <time id="updated">never</time></p>
</header>
<div id="error-banner" class="banner" role="alert" hidden></div>
<p id="announce" class="visually-hidden" aria-live="polite"></p>
<main>
  <section id="summary-section" aria-labelledby="summary-title">
    <h2 id="summary-title">Cluster <span class="count" id="queue-total"></span></h2>
    <div id="summary"><p class="unavailable loading">loading&hellip;</p></div>
  </section>
  <section id="chart-section" class="chart" aria-labelledby="chart-title">
    <h2 id="chart-title">Throughput, last hour <span class="count">(recipients per minute)</span></h2>
    <div id="chart"><p class="unavailable loading">loading&hellip;</p></div>
  </section>
  <section id="processes-section" aria-labelledby="processes-title">
    <h2 id="processes-title">Processes <span class="count" id="process-count"></span></h2>
    <div id="processes" class="scroll"><p class="unavailable loading">loading&hellip;</p></div>
  </section>
  <section id="queues-section" aria-labelledby="queues-title">
    <h2 id="queues-title">Queues <span class="count" id="queue-count"></span></h2>
    <div class="toolbar">
      <label>Filter <input type="search" id="queue-filter" placeholder="domain, vmta or mode" autocomplete="off"></label>
      <label id="dsn-option" hidden><input type="checkbox" id="delete-dsn"> Delete sends a DSN (bounce) to each sender</label>
    </div>
    <div class="scroll">
      <table id="queues-table">
        <caption class="visually-hidden">Queues (domain/vmta); choose a column header to sort</caption>
        <thead><tr id="queues-head"></tr></thead>
        <tbody id="queues-body"></tbody>
      </table>
    </div>
    <p class="unavailable loading" id="queues-empty">loading&hellip;</p>
  </section>
  <section id="jobs-section" aria-labelledby="jobs-title">
    <h2 id="jobs-title">Jobs <span class="count" id="job-count"></span></h2>
    <p class="banner" id="jobs-error" role="alert" hidden></p>
    <div class="scroll">
      <table id="jobs-table">
        <caption class="visually-hidden">Jobs (X-Job) and their recipients</caption>
        <thead><tr><th scope="col">Job</th><th scope="col">State</th><th scope="col" class="num">Queued</th><th scope="col" class="num">Delivered</th><th scope="col" class="num">Bounced</th><th scope="col">First seen</th><th scope="col">Last seen</th><th scope="col" id="jobs-actions-head" hidden>Actions</th></tr></thead>
        <tbody id="jobs-body"></tbody>
      </table>
    </div>
    <p class="unavailable loading" id="jobs-empty">loading&hellip;</p>
  </section>
  <section id="vmtas-section" aria-labelledby="vmtas-title">
    <h2 id="vmtas-title">VMTAs <span class="count" id="vmta-count"></span></h2>
    <div id="vmtas" class="scroll"><p class="unavailable loading">loading&hellip;</p></div>
  </section>
  <section id="disabled-sources-section" aria-labelledby="disabled-sources-title">
    <h2 id="disabled-sources-title">Disabled source IPs <span class="count" id="disabled-source-count"></span></h2>
    <p class="banner" id="disabled-sources-error" role="alert" hidden></p>
    <div id="disabled-sources" class="scroll"><p class="unavailable loading">loading&hellip;</p></div>
  </section>
  <section id="suppressions-section" aria-labelledby="suppressions-title">
    <h2 id="suppressions-title">Suppressions and reports <span class="count" id="suppression-count"></span></h2>
    <p class="banner" id="reports-error" role="alert" hidden></p>
    <div id="reports"><p class="unavailable loading">loading&hellip;</p></div>
    <div id="suppressions" class="scroll"><p class="unavailable loading">loading&hellip;</p></div>
  </section>
</main>
</body>
</html>
`;
