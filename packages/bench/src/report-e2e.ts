/** Section 1 of BENCHMARKS.md: the e2e medians and single runs, the targets, CPU and Redis figures. */
import { renderChecks, renderManyDomains, renderSlowSink } from './report-checks.js';
import { holds, kb, n0, n1, n2, n3, stampLine, table, TARGETS, x2, type Stamp } from './report-format.js';
import { spread, type Spread } from './runs.js';
import type { E2eResult, RunFigures } from './scenarios/e2e.js';
import { ratio } from './stats.js';

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

/** The single-run vmta columns beside the medians: the other appendfsync, delivery at normal priority. */
function singleRuns(e: E2eResult): Array<{ name: string; head: string; f: RunFigures }> {
  const o = e.vmtaOtherFsync;
  const np = e.vmtaNormalPriority;
  return [
    ...(o ? [{ name: `appendfsync ${o.fsync}`, head: `vmta (appendfsync ${o.fsync}, single run), vs Postfix median`, f: o }] : []),
    ...(np ? [{ name: 'delivery at normal priority', head: `vmta, delivery at normal priority (\`${np.deliveryArgs.join(' ')}\`, single run), vs Postfix median`, f: np }] : []),
  ];
}

const deliveryNice = (f: RunFigures | undefined) => (f?.nice?.['vmta delivery'] === undefined ? '–' : String(f.nice['vmta delivery']));

function renderMainTable(e: E2eResult): string {
  const { direct, postfix, vmta } = e;
  const singles = singleRuns(e);
  const m = e2eMedians(e);
  const lat = (r: RunFigures) => (r.latency ? `${n1(r.latency.p50)} / ${n1(r.latency.p99)} (at ${n0(r.latency.offeredPerSec)}/s)` : '–');
  const latCell = (r: RunSpreads) => (Number.isFinite(r.p99.median) ? `${spreadCell(r.p50, n1)} / ${spreadCell(r.p99, n1)}` : '–');
  const vsPostfix = (x: number, median: number) => `${n0(x)} (${x2(ratio(x, median))})`;
  const rows = [
    ['accepted msg/s', spreadCell(m.direct.accepted), spreadCell(m.postfix.accepted), spreadCell(m.vmta.accepted), x2(ratio(m.vmta.accepted.median, m.postfix.accepted.median)), ...singles.map((s) => vsPostfix(s.f.acceptedPerSec, m.postfix.accepted.median))],
    ['end-to-end msg/s (until the sink has every message)', spreadCell(m.direct.endToEnd), spreadCell(m.postfix.endToEnd), spreadCell(m.vmta.endToEnd), x2(ratio(m.vmta.endToEnd.median, m.postfix.endToEnd.median)), ...singles.map((s) => vsPostfix(s.f.endToEndPerSec, m.postfix.endToEnd.median))],
    ["final dot → 250, p50 / p99 ms (at half of that run's accepted rate)", '–', latCell(m.postfix), latCell(m.vmta), x2(ratio(m.vmta.p99.median, m.postfix.p99.median)), ...singles.map((s) => lat(s.f))],
    [
      'messages the sink got (sent), first run',
      `${n0(direct.sinkCount)} (${n0(direct.messages)})`,
      `${n0(postfix.sinkCount)} (${n0(postfix.messages)})`,
      `${n0(vmta.sinkCount)} (${n0(vmta.messages)})`,
      '',
      ...singles.map((s) => `${n0(s.f.sinkCount)} (${n0(s.f.messages)})`),
    ],
  ];
  const np = e.vmtaNormalPriority;
  return [
    table(['', 'smtp-source → smtp-sink', 'Postfix', `vmta (appendfsync ${e.fsync})`, 'vmta / Postfix (medians)', ...singles.map((s) => s.head)], rows),
    ...(np
      ? [
          '',
          `Delivery priority: \`vmta start --role delivery\` runs at nice 19 unless told otherwise, so the listener and Redis get the CPU first; every vmta column but one uses that default. "Delivery at normal priority" is the same load and appendfsync ${e.fsync} with the delivery process started with \`${np.deliveryArgs.join(' ')}\` (delivery's nice read from /proc: ${deliveryNice(vmta)} in the first vmta run, ${deliveryNice(np)} in this one).`,
        ]
      : []),
  ].join('\n');
}

const vmtaSum = (c: Record<string, number>) => (c['vmta listener'] ?? 0) + (c['vmta delivery'] ?? 0) + (c['redis-server'] ?? 0);
const bold = (cell: string) => (cell === '–' ? cell : `**${cell}**`);
const trio = (c: Record<string, number> | undefined) => (c ? `${n3(c['vmta listener'])} / ${n3(c['vmta delivery'])} / ${n3(c['redis-server'])}` : '–');

/** CPU per 1,000 messages of the first runs, over the end-to-end window and over the accept window. */
function renderCpu(e: E2eResult): string {
  const { postfix, vmta } = e;
  const o = e.vmtaOtherFsync;
  const np = e.vmtaNormalPriority;
  const acc = (f: RunFigures, name: string) => n3(f.acceptCpuPer1000?.[name]);
  const rows = [
    ...Object.entries(postfix.cpuByProcess).map(([name, s]) => [`Postfix: ${name}`, n3(s), '']),
    ['**Postfix total**', bold(n3(postfix.cpuPer1000['postfix (all processes)'])), bold(acc(postfix, 'postfix (all processes)'))],
    ...Object.entries(vmta.cpuPer1000)
      .filter(([name]) => name !== 'smtp-sink')
      .map(([name, s]) => [name, n3(s), acc(vmta, name)]),
    ['**vmta total (listener + delivery + redis-server)**', bold(n3(vmtaSum(vmta.cpuPer1000))), bold(n3(vmta.acceptCpuPer1000 && vmtaSum(vmta.acceptCpuPer1000)))],
    ['smtp-sink (in the Postfix run / in ours)', `${n3(postfix.cpuPer1000['smtp-sink'])} / ${n3(vmta.cpuPer1000['smtp-sink'])}`, `${acc(postfix, 'smtp-sink')} / ${acc(vmta, 'smtp-sink')}`],
    ...(o ? [[`vmta with appendfsync ${o.fsync}: listener / delivery / redis-server`, trio(o.cpuPer1000), trio(o.acceptCpuPer1000)]] : []),
    ...(np ? [[`vmta, delivery at normal priority (\`${np.deliveryArgs.join(' ')}\`): listener / delivery / redis-server`, trio(np.cpuPer1000), trio(np.acceptCpuPer1000)]] : []),
  ];
  const atAccept = (f: RunFigures | undefined) => (f?.sinkCountAtAcceptEnd === undefined ? '–' : `${n0(f.sinkCountAtAcceptEnd)} of ${n0(f.messages)}`);
  return [
    '### CPU seconds per 1,000 messages (first run: end-to-end window and accept window)',
    '',
    table(['process', 'CPU s / 1,000 msg (end to end)', 'accept window'], rows),
    '',
    vmta.acceptCpuPer1000
      ? `Accept window: from the start of the load until smtp-source finished (every message accepted), CPU per 1,000 messages accepted: what each process took while mail was being accepted. When smtp-source finished the sink had ${atAccept(vmta)} messages in the first vmta run (delivery at nice ${deliveryNice(vmta)}), ${atAccept(np)} with delivery at normal priority, ${atAccept(postfix)} with Postfix.`
      : 'Accept window: not recorded in these results (–).',
  ].join('\n');
}

/** Whether the measured runs met warm or freshly started MTAs; results from before the warm-up were cold. */
export function e2eWarmLine(e: Pick<E2eResult, 'warmup'>): string {
  return e.warmup
    ? `Warm-up: before each measured run (medians and single-run columns), ${n0(e.warmup)} messages of the same load went into that fresh Postfix or vmta, were all delivered, and were left out of every figure. The slow-sink and many-domain variants below are cold.`
    : 'Cold: every measured run starts with freshly started MTA processes (no warm-up).'
}

export function renderE2e(e: E2eResult & Stamp): string {
  const singles = singleRuns(e);
  const many = (e.runs?.vmta.length ?? 1) > 1;
  const what = [...singles.map((s) => `the ${s.name} column`), 'the CPU, Redis and profile figures'].join(', ');
  const runsLine = many
    ? `**Medians of ${e.runs!.vmta.length} runs** (min–max in brackets; ratios are ratios of the medians); Postfix and vmta alternate which goes first (${e.runs!.order.join(', ')}), so a drift in the machine's load hits both. ${what[0]!.toUpperCase()}${what.slice(1)} are **single runs** (the first vmta run, or a separate one).`
    : 'Single run of each (no medians: `--runs 1`); the figures are indicative only.';
  const r = e.redis;
  const memRows = [
    ['Redis used_memory per queued message, smtp-source body (delivery stopped, via the listener)', kb(r.memoryPerMessage), `${n0(r.memoryMessages)} messages`],
    [`Redis used_memory per queued message, ${n0(r.textBodyBytes)} B text body (via packages/queue)`, kb(r.memoryPerTextMessage), `body stored as ${n0(r.textStoredBytes)} B`],
    ['accepted msg/s with delivery stopped', n0(r.acceptOnlyPerSec), ''],
    ['drain msg/s of that backlog (delivery alone)', n0(r.drainOnlyPerSec), ''],
  ];
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
    e2eWarmLine(e),
    '',
    renderMainTable(e),
    '',
    renderChecks(e),
    '',
    renderSlowSink(e),
    '',
    renderManyDomains(e),
    '',
    '### Targets',
    '',
    table(['target', 'measured', 'holds'], e2eTargets(e).map((t) => [t.target, t.value, holds(t.ok)])),
    '',
    renderCpu(e),
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
