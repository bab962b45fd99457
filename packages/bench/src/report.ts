/**
 * BENCHMARKS.md from the raw figures (bench-results.json). Pure: the same
 * results always render the same page. Hand-written analysis lives in
 * packages/bench/notes.md and is appended as it is.
 */
import type { Machine } from './machine.js';
import { checkRun, spread, type Spread } from './runs.js';
import type { E2eResult, RunFigures, VariantResult } from './scenarios/e2e.js';
import type { MillionResult } from './scenarios/million.js';
import type { QueuesResult } from './scenarios/queues.js';
import { ratio } from './stats.js';

export interface Stamp {
  ranAt: string;
  loadAvgAtStart: number[];
  command: string;
}

export interface BenchResults {
  machine: Machine;
  e2e?: E2eResult & Stamp;
  queues?: QueuesResult & Stamp;
  million?: MillionResult & Stamp;
}

/** Thresholds of issue 6 (goals, not tests). */
export const TARGETS = {
  endToEndVsPostfix: 1.5,
  acceptVsPostfix: 2,
  p99AcceptMs: 20,
  memoryPerMessageBytes: 6 * 1024,
  /**
   * "≈ 0": below 1 % of a core and 10 Redis commands per second for the whole process while nothing
   * can be delivered, whatever the number of waiting queues (what is left is BullMQ's fixed housekeeping).
   */
  idleCpuPct: 1,
  idleCommandsPerSec: 10,
} as const;

const n0 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : Math.round(x).toLocaleString('en-US'));
const n1 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(1));
const n2 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2));
const n3 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(3));
const x2 = (x: number | undefined) => (x === undefined ? '–' : `${x.toFixed(2)}×`);
const kb = (bytes: number | undefined) => (bytes === undefined || !Number.isFinite(bytes) ? '–' : `${(bytes / 1024).toFixed(2)} KB`);
const holds = (ok: boolean | undefined) => (ok === undefined ? '–' : ok ? 'yes' : '**no**');

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function stampLine(s: Stamp): string {
  return `_Run ${s.ranAt.slice(0, 16).replace('T', ' ')} UTC, load average at start ${s.loadAvgAtStart.join(' / ')}, \`${s.command}\`._`;
}

export interface RunSpreads {
  accepted: Spread;
  endToEnd: Spread;
  p50: Spread;
  p99: Spread;
}

function spreads(runs: RunFigures[]): RunSpreads {
  return {
    accepted: spread(runs.map((r) => r.acceptedPerSec)),
    endToEnd: spread(runs.map((r) => r.endToEndPerSec)),
    p50: spread(runs.map((r) => r.latency?.p50)),
    p99: spread(runs.map((r) => r.latency?.p99)),
  };
}

/** Medians (with min–max) of the repeated runs; results written before --runs count as one run. */
export function e2eMedians(e: E2eResult): { direct: RunSpreads; postfix: RunSpreads; vmta: RunSpreads } {
  const runs = e.runs ?? { direct: [e.direct], postfix: [e.postfix], vmta: [e.vmta] };
  return { direct: spreads(runs.direct), postfix: spreads(runs.postfix), vmta: spreads(runs.vmta) };
}

/** "1,234" for one run, "1,234 (1,100–1,300)" for several. */
export function spreadCell(s: Spread, fmt: (x: number | undefined) => string = n0): string {
  return s.runs > 1 && Number.isFinite(s.min) ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : fmt(s.median);
}

/** Every run's check, in the order the runs ran. */
export function e2eChecks(e: E2eResult): Array<{ run: string; figures: RunFigures }> {
  const rows: Array<{ run: string; figures: RunFigures }> = [];
  const runs = e.runs ?? { direct: [e.direct], postfix: [e.postfix], vmta: [e.vmta] };
  runs.direct.forEach((f, i) => rows.push({ run: `run ${i + 1}: smtp-source → smtp-sink`, figures: f }));
  runs.postfix.forEach((f, i) => rows.push({ run: `run ${i + 1}: Postfix`, figures: f }));
  runs.vmta.forEach((f, i) => rows.push({ run: `run ${i + 1}: vmta (appendfsync ${e.fsync})`, figures: f }));
  if (e.vmtaOtherFsync) rows.push({ run: `single run: vmta (appendfsync ${e.vmtaOtherFsync.fsync})`, figures: e.vmtaOtherFsync });
  for (const [name, v] of [['slow sink', e.slowSink], ['many domains', e.manyDomains]] as const) {
    if (!v) continue;
    if (v.direct) rows.push({ run: `${name}: client → smtp-sink`, figures: v.direct });
    rows.push({ run: `${name}: Postfix`, figures: v.postfix }, { run: `${name}: vmta`, figures: v.vmta });
  }
  return rows;
}

function renderChecks(e: E2eResult): string {
  const rows = e2eChecks(e).map(({ run, figures: f }) => {
    const c = checkRun(f);
    return [run, n0(f.messages), n0(f.sinkCount), f.deferred === undefined ? '–' : n0(f.deferred), f.bounced === undefined ? '–' : n0(f.bounced), String(f.sourceExitCode), c.ok ? 'ok' : `**FAILED**: ${c.problems.join('; ')}`];
  });
  const failed = rows.filter((r) => r[6] !== 'ok').length;
  return [
    '### Checks (every run)',
    '',
    failed
      ? `**${failed} run(s) failed their check: their figures do not count.**`
      : 'Every run passed: the sink got exactly what was sent, nothing deferred or bounced, the load generator exited 0.',
    '',
    table(['run', 'sent', 'sink got', 'deferred', 'bounced', 'load exit', 'check'], rows),
    '',
    'Deferred / bounced: Postfix from the `status=` lines of its maillog, ours from the cluster totals in Redis, both over the measured window (not the latency probe).',
  ].join('\n');
}

/** msg/s until the sink had everything, or, for a run cut off, what arrived by the cut-off. */
export function endToEndOrCutoff(r: RunFigures): { rate: number | undefined; cell: string } {
  if (Number.isFinite(r.endToEndPerSec)) return { rate: r.endToEndPerSec, cell: n0(r.endToEndPerSec) };
  if (r.cutoffMs === undefined) return { rate: undefined, cell: '–' };
  const rate = (r.sinkCount * 1000) / r.cutoffMs;
  return { rate, cell: `**cut off**: ${n0(r.sinkCount)} of ${n0(r.messages)} in ${n0(r.cutoffMs / 1000)} s ≈ ${n0(rate)}` };
}

function renderVariant(title: string, intro: string, e: E2eResult, v: VariantResult): string {
  const [d, p, u] = [v.direct && endToEndOrCutoff(v.direct), endToEndOrCutoff(v.postfix), endToEndOrCutoff(v.vmta)];
  const rows = [
    ['accepted msg/s', ...(v.direct ? [n0(v.direct.acceptedPerSec)] : []), n0(v.postfix.acceptedPerSec), n0(v.vmta.acceptedPerSec), x2(ratio(v.vmta.acceptedPerSec, v.postfix.acceptedPerSec))],
    ['end-to-end msg/s (until the sink has every message)', ...(d ? [d.cell] : []), p.cell, u.cell, x2(ratio(u.rate, p.rate))],
    [
      'messages the sink got (sent), check',
      ...(v.direct ? [`${n0(v.direct.sinkCount)} (${n0(v.direct.messages)}), ${checkRun(v.direct).ok ? 'ok' : '**FAILED**'}`] : []),
      `${n0(v.postfix.sinkCount)} (${n0(v.postfix.messages)}), ${checkRun(v.postfix).ok ? 'ok' : '**FAILED**'}`,
      `${n0(v.vmta.sinkCount)} (${n0(v.vmta.messages)}), ${checkRun(v.vmta).ok ? 'ok' : '**FAILED**'}`,
      '',
    ],
  ];
  return [
    title,
    '',
    intro,
    '',
    table(['', ...(v.direct ? ['client → smtp-sink'] : []), 'Postfix', `vmta (appendfsync ${e.fsync})`, 'vmta / Postfix'], rows),
  ].join('\n');
}

function renderSlowSink(e: E2eResult): string {
  const v = e.slowSink;
  if (!v) return '';
  return renderVariant(
    '### Slow sink (single run)',
    `A sink that pushes back: \`smtp-sink ${v.sinkArgs.join(' ')}\` waits before its reply to DATA, so each connection carries at most one message per delay and the queue builds up in the MTA. Load: \`smtp-source ${v.loadArgs.join(' ')}\` (${n0(v.messages)} messages); destination concurrency ${e.maxSmtpOut} on both sides, so the ceiling is about ${e.maxSmtpOut} connections ÷ the delay. One run each, not a median.`,
    e,
    v,
  );
}

function renderManyDomains(e: E2eResult): string {
  const v = e.manyDomains;
  if (!v) return '';
  return renderVariant(
    `### Many destination domains: ${n0(v.domains)} (single run)`,
    `${n0(v.messages)} messages, recipients round-robin over ${n0(v.domains)} domains, ${v.sessions} sessions, one connection per session. smtp-source cannot vary the recipient domain, so the load comes from the bench's own SMTP client (${v.loadArgs.join('; ')}); it costs more CPU than smtp-source on the same two cores, hence its own "client → smtp-sink" ceiling. Every domain goes to the one sink: ours through \`<domain *>\` smtp-hosts, i.e. ${n0(v.domains)} queues (domain/vmta), each with its own connections; Postfix through its relayhost, i.e. **one** nexthop queue and connection cache for all domains (what Postfix does with a smarthost). One run each, not a median.`,
    e,
    v,
  );
}

export function e2eTargets(e: E2eResult): Array<{ target: string; value: string; ok: boolean | undefined }> {
  const m = e2eMedians(e);
  const e2eRatio = ratio(m.vmta.endToEnd.median, m.postfix.endToEnd.median);
  const acceptRatio = ratio(m.vmta.accepted.median, m.postfix.accepted.median);
  const p99 = Number.isFinite(m.vmta.p99.median) ? m.vmta.p99.median : undefined;
  const worstMemory = Math.max(e.redis.memoryPerMessage, e.redis.memoryPerTextMessage);
  return [
    { target: `end to end ≥ ${TARGETS.endToEndVsPostfix}× Postfix`, value: x2(e2eRatio), ok: e2eRatio === undefined ? undefined : e2eRatio >= TARGETS.endToEndVsPostfix },
    { target: `accepted ≥ ${TARGETS.acceptVsPostfix}× Postfix`, value: x2(acceptRatio), ok: acceptRatio === undefined ? undefined : acceptRatio >= TARGETS.acceptVsPostfix },
    { target: `p99 final dot → 250 ≤ ${TARGETS.p99AcceptMs} ms at half of peak`, value: `${n1(p99)} ms`, ok: p99 === undefined ? undefined : p99 <= TARGETS.p99AcceptMs },
    { target: 'Redis memory ≤ 6 KB per queued 10 KB message', value: kb(worstMemory), ok: worstMemory <= TARGETS.memoryPerMessageBytes },
  ];
}

function renderE2e(e: E2eResult & Stamp): string {
  const { direct, postfix, vmta } = e;
  const o = e.vmtaOtherFsync;
  const lat = (r?: RunFigures) => (r?.latency ? `${n1(r.latency.p50)} / ${n1(r.latency.p99)} (at ${n0(r.latency.offeredPerSec)}/s)` : '–');
  const other = (cell: string) => (o ? [cell] : []);
  const m = e2eMedians(e);
  const many = (e.runs?.vmta.length ?? 1) > 1;
  const latCell = (r: RunSpreads) => (Number.isFinite(r.p99.median) ? `${spreadCell(r.p50, n1)} / ${spreadCell(r.p99, n1)}` : '–');
  const rows = [
    ['accepted msg/s', spreadCell(m.direct.accepted), spreadCell(m.postfix.accepted), spreadCell(m.vmta.accepted), x2(ratio(m.vmta.accepted.median, m.postfix.accepted.median)), ...other(`${n0(o?.acceptedPerSec)} (${x2(ratio(o?.acceptedPerSec, m.postfix.accepted.median))})`)],
    ['end-to-end msg/s (until the sink has every message)', spreadCell(m.direct.endToEnd), spreadCell(m.postfix.endToEnd), spreadCell(m.vmta.endToEnd), x2(ratio(m.vmta.endToEnd.median, m.postfix.endToEnd.median)), ...other(`${n0(o?.endToEndPerSec)} (${x2(ratio(o?.endToEndPerSec, m.postfix.endToEnd.median))})`)],
    ["final dot → 250, p50 / p99 ms (at half of that run's accepted rate)", '–', latCell(m.postfix), latCell(m.vmta), x2(ratio(m.vmta.p99.median, m.postfix.p99.median)), ...other(lat(o))],
    [
      'messages the sink got (sent), first run',
      `${n0(direct.sinkCount)} (${n0(direct.messages)})`,
      `${n0(postfix.sinkCount)} (${n0(postfix.messages)})`,
      `${n0(vmta.sinkCount)} (${n0(vmta.messages)})`,
      '',
      ...other(`${n0(o?.sinkCount)} (${n0(o?.messages)})`),
    ],
  ];
  const runsLine = many
    ? `**Medians of ${e.runs!.vmta.length} runs** (min–max in brackets; ratios are ratios of the medians); Postfix and vmta alternate which goes first (${e.runs!.order.join(', ')}), so a drift in the machine's load hits both. The appendfsync ${o?.fsync ?? 'other'} column, the CPU, Redis and profile figures are **single runs** (the first vmta run, or a separate one).`
    : 'Single run of each (no medians: `--runs 1`); the figures are indicative only.';
  const cpuRows = [
    ...Object.entries(postfix.cpuByProcess).map(([name, s]) => [`Postfix: ${name}`, n3(s)]),
    ['**Postfix total**', `**${n3(postfix.cpuPer1000['postfix (all processes)'])}**`],
    ...Object.entries(vmta.cpuPer1000)
      .filter(([name]) => name !== 'smtp-sink')
      .map(([name, s]) => [name, n3(s)]),
    [
      '**vmta total (listener + delivery + redis-server)**',
      `**${n3((vmta.cpuPer1000['vmta listener'] ?? 0) + (vmta.cpuPer1000['vmta delivery'] ?? 0) + (vmta.cpuPer1000['redis-server'] ?? 0))}**`,
    ],
    ['smtp-sink (in the Postfix run / in ours)', `${n3(postfix.cpuPer1000['smtp-sink'])} / ${n3(vmta.cpuPer1000['smtp-sink'])}`],
    ...(o
      ? [[`vmta with appendfsync ${o.fsync}: listener / delivery / redis-server`, `${n3(o.cpuPer1000['vmta listener'])} / ${n3(o.cpuPer1000['vmta delivery'])} / ${n3(o.cpuPer1000['redis-server'])}`]]
      : []),
  ];
  const r = e.redis;
  const memRows = [
    ['Redis used_memory per queued message, smtp-source body (delivery stopped, via the listener)', kb(r.memoryPerMessage), `${n0(r.memoryMessages)} messages`],
    [`Redis used_memory per queued message, ${n0(r.textBodyBytes)} B text body (via packages/queue)`, kb(r.memoryPerTextMessage), `body stored as ${n0(r.textStoredBytes)} B`],
    ['accepted msg/s with delivery stopped', n0(r.acceptOnlyPerSec), ''],
    ['drain msg/s of that backlog (delivery alone)', n0(r.drainOnlyPerSec), ''],
  ];
  const targets = e2eTargets(e);
  return [
    '## 1. End to end: smtp-source → MTA → smtp-sink',
    '',
    stampLine(e),
    '',
    `Load: \`smtp-source ${e.load.smtpSourceArgs.join(' ')}\` — ${n0(e.load.messages)} messages of ${n0(e.load.size)} B payload, 1 recipient, ${e.load.sessions} sessions, one connection per session (\`-d\`). Destination: \`smtp-sink\` on loopback. ` +
      `Postfix: private instance, destination concurrency ${e.maxSmtpOut}, defaults otherwise (fsync before 250). Ours: listener and delivery as separate \`vmta start --role\` processes, max-smtp-out ${e.maxSmtpOut}, Redis with AOF on and \`appendfsync ${e.fsync}\`${e.fsync === 'always' ? ' (the default `vmta start` ships for its embedded Redis)' : ''}.`,
    '',
    runsLine,
    '',
    table(['', 'smtp-source → smtp-sink', 'Postfix', `vmta (appendfsync ${e.fsync})`, 'vmta / Postfix (medians)', ...other(`vmta (appendfsync ${o?.fsync}, single run), vs Postfix median`)], rows),
    '',
    renderChecks(e),
    '',
    renderSlowSink(e),
    '',
    renderManyDomains(e),
    '',
    '### Targets',
    '',
    table(['target', 'measured', 'holds'], targets.map((t) => [t.target, t.value, holds(t.ok)])),
    '',
    '### CPU seconds per 1,000 messages (over the end-to-end window of the first run)',
    '',
    table(['process', 'CPU s / 1,000 msg'], cpuRows),
    '',
    '### Redis',
    '',
    table(['figure', 'value', 'note'], memRows),
    '',
    `Redis commands per message (INFO commandstats over the measured run; commands run inside Lua scripts are counted too): **${n1(r.totalCallsPerMessage)} calls per message**.`,
    '',
    table(
      ['command', 'calls / msg', 'Redis µs / msg'],
      r.commandsPerMessage.slice(0, 15).map((c) => [c.command, n2(c.callsPerMessage), n1(c.usecPerMessage)]),
    ),
    '',
    r.slowlog.length ? `SLOWLOG (> 1 ms): ${r.slowlog.map((s) => `\`${s.command}\` ${n1(s.us / 1000)} ms`).join('; ')}.` : 'SLOWLOG (> 1 ms): empty.',
  ].join('\n');
}

function renderProfile(e: E2eResult): string {
  if (!e.profile) return '';
  const part = (name: string, p: NonNullable<E2eResult['profile']>['listener']) =>
    [
      `**${name}** — ${n0(p.busyMs)} ms busy, ${n0(p.idleMs)} ms idle over ${n0(e.profile!.messages)} messages (${n3(p.busyMs / e.profile!.messages)} ms CPU per message on the main thread).`,
      '',
      table(['package', '% of busy'], p.packages.slice(0, 10).map((r) => [r.name, n1(r.pct)])),
      '',
      table(['function (self time)', '% of busy'], p.functions.slice(0, 15).map((r) => [`\`${r.name}\``, n1(r.pct)])),
    ].join('\n');
  return [
    '### Profiles (`node --cpu-prof`, a separate run of the same load)',
    '',
    'Self time by package and by function, from `packages/bench/dist/profile-summary.js`; percentages of the busy (non-idle) samples.',
    '',
    part('listener', e.profile.listener),
    '',
    part('delivery', e.profile.delivery),
  ].join('\n');
}

function renderQueues(q: QueuesResult & Stamp, e2e?: E2eResult): string {
  const idle = q.idle;
  const cmds = Object.entries(idle.commands)
    .sort((a, b) => b[1].calls - a[1].calls)
    .slice(0, 10)
    .map(([c, s]) => `${c} ${n1(s.calls / idle.seconds)}/s`);
  const full = e2e?.redis.drainOnlyPerSec;
  return [
    '## 2. Many queues: 10,000 domains, 1,000 of them blocked',
    '',
    stampLine(q),
    '',
    `${n0(q.domains)} domains, one message each, queued at once through packages/queue with delivery stopped; ${q.blocked.paused} paused, ${q.blocked.retry} in retry mode an hour ahead, ${q.blocked.throttle} throttled (\`max-msg-rate 1/h\`, two messages: the first goes, the second waits). One delivery process (default concurrency: 100 tokens per VMTA) then drains the rest to smtp-sink: every message needs its own connection (one domain each).`,
    '',
    table(
      ['figure', 'value', 'target', 'holds'],
      [
        ['enqueue (msg/s)', n0((q.enqueued * 1000) / q.enqueueMs), '', ''],
        [`drain of the ${n0(q.deliverable)} deliverable messages (msg/s)`, n0(q.drainPerSec), full ? `single-domain drain: ${n0(full)} msg/s` : '', '–'],
        [`delivery CPU while only blocked queues remain (${idle.seconds} s)`, `${n2(idle.deliveryCpuPct)} % of a core`, `≤ ${TARGETS.idleCpuPct} %`, holds(idle.deliveryCpuPct <= TARGETS.idleCpuPct)],
        ['Redis commands/s in that window', n1(idle.redisCommandsPerSec), `≤ ${TARGETS.idleCommandsPerSec}`, holds(idle.redisCommandsPerSec <= TARGETS.idleCommandsPerSec)],
        ['redis-server CPU in that window', `${n2(idle.redisCpuPct)} % of a core`, '', ''],
        ['messages delivered during the window / still queued in blocked queues', `${idle.deliveredDuringIdle} / ${q.stillQueued}`, `0 / ${q.blocked.paused + q.blocked.retry + q.blocked.throttle}`, holds(idle.deliveredDuringIdle === 0 && q.stillQueued === q.blocked.paused + q.blocked.retry + q.blocked.throttle)],
      ],
    ),
    '',
    `Redis commands/s by the kind of queue they name (MONITOR for 2 s after the window): ${Object.entries(idle.commandsByKind ?? {})
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${n1(v)}`)
      .join(', ') || 'none'}.`,
    '',
    cmds.length ? `Commands in the idle window (INFO commandstats, the bench's own INFO/CONFIG/SLOWLOG left out): ${cmds.join(', ')}.` : 'No commands in the idle window.',
  ].join('\n');
}

function renderMillion(m: MillionResult & Stamp): string {
  const cut = m.messages < m.target;
  const target = m.target ?? m.messages;
  return [
    `## 3. A large backlog: ${n0(target)} queued messages`,
    '',
    stampLine(m),
    '',
    `${n0(m.messages)} messages of ${n0(m.bodyBytes)} B (pseudo-random text; stored deflated as ${n0(m.storedBodyBytes)} B), ${m.domains} domains, enqueued straight through packages/queue (256 in flight) with delivery stopped; then ${m.deliveryProcesses} delivery processes drain to smtp-sink.` +
      (cut || m.extrapolated
        ? ` **Cut by the time budget** (${cut ? `enqueue stopped at ${n0(m.messages)} of ${n0(target)}` : 'enqueue complete'}; ${m.drainCut ? `drain stopped at ${n0(m.drainedMessages)}` : 'drain of what was queued complete'}): the "projected" rows are **extrapolated** linearly from the measured rates and memory per message, not measured.`
        : ''),
    '',
    table(
      ['figure', 'value', 'target', 'holds'],
      [
        ['enqueue rate (msg/s)', n0(m.enqueuePerSec), '', ''],
        [`Redis used_memory with ${n0(m.messages)} queued`, `${n0(m.usedMemoryBytes / 2 ** 20)} MiB`, '', ''],
        ['Redis memory per queued message', kb(m.memoryPerMessage), '≤ 6 KB', holds(m.memoryPerMessage <= TARGETS.memoryPerMessageBytes)],
        ['AOF size', `${n0(m.aofBytes / 2 ** 20)} MiB`, '', ''],
        ['drain rate (msg/s)', `${n0(m.drainPerSec)} (${n0(m.drainedMessages)} delivered in ${n0(m.drainMs / 1000)} s)`, '', ''],
        ['CPU s / 1,000 msg: delivery (both processes) / redis-server', `${n3(m.deliveryCpuPer1000)} / ${n3(m.redisCpuPer1000)}`, '', ''],
        ...(m.projected
          ? [
              [`${cut ? '**projected** ' : ''}Redis used_memory with ${n0(target)} queued`, `${n0(m.projected.memoryBytes / 2 ** 20)} MiB`, '', ''],
              [`${cut ? '**projected** ' : ''}time to enqueue ${n0(target)}`, `${n0(m.projected.enqueueSeconds)} s`, '', ''],
            ]
          : []),
        [`${m.extrapolated ? '**projected** ' : ''}time to drain ${n0(target)}`, `${n0(m.drainTotalSeconds)} s`, '', ''],
      ],
    ),
  ].join('\n');
}

export function renderBenchmarks(results: BenchResults, notes = ''): string {
  const m = results.machine;
  return [
    '# Benchmarks',
    '',
    'Generated by `pnpm bench` (packages/bench) from `bench-results.json`; do not edit the figures by hand. Targets are the goals of issue 6, not tests.',
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.kernel}; Node ${m.node}, Redis ${m.redis}, Postfix ${m.postfix}. Every ratio is against a baseline measured in the same run on the same machine.`,
    '',
    results.e2e ? renderE2e(results.e2e) : '## 1. End to end\n\nNot run yet.',
    '',
    results.e2e ? renderProfile(results.e2e) : '',
    '',
    results.queues ? renderQueues(results.queues, results.e2e) : '## 2. Many queues\n\nNot run yet.',
    '',
    results.million ? renderMillion(results.million) : '## 3. A large backlog\n\nNot run yet.',
    '',
    '## How to reproduce',
    '',
    '```sh',
    'pnpm install && pnpm build      # the bench runs packages/cli/dist and packages/bench/dist',
    'pnpm bench                      # all scenarios; installs postfix and redis-server with apt-get when missing',
    'pnpm bench --scenario e2e --messages 20000',
    'pnpm bench --scenario e2e --runs 5 --no-variants   # medians of 5 runs, without the slow-sink / many-domain variants',
    'pnpm bench --scenario million --million 200000 --drain-budget 300',
    'pnpm bench --quick              # smoke run with small counts',
    '```',
    '',
    'Everything runs on loopback (127.0.0.3 Postfix, 127.0.0.4 smtp-sink, 127.0.0.5 our listener), with a private Redis per scenario and a private Postfix instance (`postfix -c` on a temp directory); the system Postfix configuration is not touched. Options: `pnpm bench --help`. The machine is shared: the load average at the start of each scenario is recorded, and single runs are indicative only.',
    '',
    notes.trim(),
    '',
  ]
    .filter((s, i, a) => !(s === '' && a[i - 1] === ''))
    .join('\n');
}
