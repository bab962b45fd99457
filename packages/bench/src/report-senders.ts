/** Section 2 of BENCHMARKS.md: the senders scenario, Postfix, Haraka and us side by side per load. */
import type { Mta } from './args.js';
import { endToEndOrCutoff } from './report-checks.js';
import { holds, n0, n1, n2, n3, stampLine, table, x2, type Stamp } from './report-format.js';
import { checkRun, median, spread, type Spread } from './runs.js';
import type { RunFigures } from './scenarios/e2e-types.js';
import type { SenderLoadResult, SendersResult } from './scenarios/senders.js';
import { ratio } from './stats.js';

/** Goals of issue 13 for every senders load (never asserted in tests). */
export const SENDER_TARGETS = { endToEndVsPostfix: 2, acceptVsPostfix: 2, p99AcceptMs: 20, greetingP50Ms: 1 } as const;

const NAMES: Record<Mta, string> = { postfix: 'Postfix', haraka: 'Haraka', vmta: 'vmta' };
const ORDER: Mta[] = ['postfix', 'haraka', 'vmta'];

/** A run cut off counts with what arrived by then (rate), so a median never hides it. */
const e2eRate = (r: RunFigures) => endToEndOrCutoff(r).rate ?? Number.NaN;

function cell(s: Spread, fmt = n0): string {
  return s.runs > 1 && Number.isFinite(s.min) ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : fmt(s.median);
}

interface Medians {
  accepted: Spread;
  endToEnd: Spread;
  dotP50: Spread;
  dotP99: Spread;
  cpu: Record<string, number>;
  /** The settle-inclusive CPU (per process, medians) over the runs that have it; undefined when none has (older results). */
  settle?: { cpu: Record<string, number>; busyMs: Spread; capped: number };
  failed: number;
}

function perProcessMedians(all: Array<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of new Set(all.flatMap((c) => Object.keys(c)))) out[name] = median(all.map((c) => c[name] ?? Number.NaN));
  return out;
}

/** Medians over the runs that passed their check (a failed run's figures do not count; it is counted in `failed`). */
function medians(all: RunFigures[] | undefined): Medians | undefined {
  if (!all || all.length === 0) return undefined;
  const runs = all.filter((r) => checkRun(r).ok);
  const cpu = perProcessMedians(runs.map((r) => r.cpuPer1000));
  const settled = runs.flatMap((r) => (r.settle ? [r.settle] : []));
  return {
    accepted: spread(runs.map((r) => r.acceptedPerSec)),
    endToEnd: spread(runs.map(e2eRate)),
    dotP50: spread(runs.map((r) => r.client?.dotTo250.p50)),
    dotP99: spread(runs.map((r) => r.client?.dotTo250.p99)),
    cpu,
    ...(settled.length ? { settle: { cpu: perProcessMedians(settled.map((x) => x.cpuPer1000)), busyMs: spread(settled.map((x) => x.busyMs)), capped: settled.filter((x) => x.capped).length } } : {}),
    failed: all.length - runs.length,
  };
}

const isMtaProcess = (name: string) => name !== 'smtp-sink' && !name.startsWith('load generator');

/** CPU of the MTA's own processes (not the sinks, not the load generator). */
function mtaCpu(cpu: Record<string, number>): number {
  return Object.entries(cpu)
    .filter(([name]) => isMtaProcess(name))
    .reduce((s, [, v]) => s + v, 0);
}

/** The settle-inclusive rows: the MTA's CPU until it was idle, per process, and how long it kept working. */
function settleRows(m: Partial<Record<Mta, Medians>>, cols: Mta[], procNames: string[]): string[][] {
  if (!cols.some((k) => m[k]!.settle)) return [];
  const s = (k: Mta) => m[k]!.settle;
  return [
    ['CPU s / 1,000 msg, the MTA, until it was idle after the last delivery (settle-inclusive)', '–', ...cols.map((k) => (s(k) ? `**${n3(mtaCpu(s(k)!.cpu))}**` : '–'))],
    ...procNames.filter(isMtaProcess).map((p) => [`CPU s / 1,000 msg until idle: ${p}`, '–', ...cols.map((k) => n3(s(k)?.cpu[p]))]),
    [
      'the MTA kept working after the sink had every message, ms (idle: each process ≤ 2 % of a core over 500 ms; cap 10 s)',
      '–',
      ...cols.map((k) => (s(k) ? `${cell(s(k)!.busyMs)}${s(k)!.capped ? `, ${s(k)!.capped} run(s) still busy at the cap` : ''}` : '–')),
    ],
  ];
}

function loadMedians(l: SenderLoadResult): Partial<Record<Mta, Medians>> {
  const out: Partial<Record<Mta, Medians>> = {};
  for (const m of ORDER) {
    const x = medians(l.runs[m]);
    if (x) out[m] = x;
  }
  return out;
}

/** How the MTAs were started for a load's measured runs, so warm and cold tables are never mixed up. */
export function warmText(l: Pick<SenderLoadResult, 'warmup'>): string {
  return l.warmup ? `after ${n0(l.warmup)} warm-up messages` : 'cold';
}

function summaryRows(s: SendersResult): string[][] {
  return Object.values(s.loads).map((l) => {
    const m = loadMedians(l!);
    const e = (k: Mta) => m[k]?.endToEnd.median;
    const a = (k: Mta) => m[k]?.accepted.median;
    const vsP = ratio(e('vmta'), e('postfix'));
    const vsH = ratio(e('vmta'), e('haraka'));
    const accP = ratio(a('vmta'), a('postfix'));
    const ok = vsP !== undefined && vsP >= SENDER_TARGETS.endToEndVsPostfix && (vsH === undefined || vsH > 1) && accP !== undefined && accP >= SENDER_TARGETS.acceptVsPostfix;
    const failed = ORDER.reduce((n, k) => n + (m[k]?.failed ?? 0), 0);
    const p99 = median((l!.probe?.vmta ?? []).map((p) => p.dotTo250.p99));
    const greet = median((l!.greeting?.vmta ?? []).map((g) => g.p50));
    return [
      `${l!.title} (${warmText(l!)})`,
      ...ORDER.map((k) => n0(e(k))),
      x2(vsP),
      x2(vsH),
      ...ORDER.map((k) => n0(a(k))),
      x2(accP),
      vsP === undefined ? '–' : holds(ok),
      Number.isFinite(p99) ? `${n1(p99)} (${holds(p99 <= SENDER_TARGETS.p99AcceptMs)})` : '–',
      Number.isFinite(greet) ? `${n2(greet)} (${holds(greet <= SENDER_TARGETS.greetingP50Ms)})` : '–',
      `${Math.max(...ORDER.map((k) => l!.runs[k]?.length ?? 0))}${failed ? `, **${failed} failed**` : ''}`,
    ];
  });
}

function loadTable(l: SenderLoadResult): string {
  const m = loadMedians(l);
  const cols = ORDER.filter((k) => m[k]);
  const d = l.direct;
  const hasClient = cols.some((k) => Number.isFinite(m[k]!.dotP99.median));
  const procNames = [...new Set(cols.flatMap((k) => Object.keys(m[k]!.cpu)))];
  const rows = [
    ['accepted msg/s', d ? n0(d.acceptedPerSec) : '–', ...cols.map((k) => cell(m[k]!.accepted))],
    ['end-to-end msg/s (until the sinks have every message)', d ? n0(d.endToEndPerSec) : '–', ...cols.map((k) => cell(m[k]!.endToEnd))],
    ...(hasClient ? [['final dot → 250 under this load, p50 / p99 ms (our client)', '–', ...cols.map((k) => `${cell(m[k]!.dotP50, n1)} / ${cell(m[k]!.dotP99, n1)}`)]] : []),
    ['CPU s / 1,000 msg, the MTA (all its processes)', '–', ...cols.map((k) => `**${n3(mtaCpu(m[k]!.cpu))}**`)],
    ...procNames.map((p) => [`CPU s / 1,000 msg: ${p}`, p === 'smtp-sink' && d ? n3(d.cpuPer1000['smtp-sink']) : '–', ...cols.map((k) => n3(m[k]!.cpu[p]))]),
    ...settleRows(m, cols, procNames),
  ];
  return table(['', 'client → smtp-sink', ...cols.map((k) => NAMES[k]), ], rows);
}

function probeTable(l: SenderLoadResult): string {
  if (!l.probe && !l.greeting) return '';
  const rows: string[][] = [];
  for (const k of ORDER) {
    const p = l.probe?.[k];
    const g = l.greeting?.[k];
    if (!p && !g) continue;
    rows.push([
      NAMES[k],
      p ? cell(spread(p.map((x) => x.offeredPerSec))) : '–',
      p ? `${cell(spread(p.map((x) => x.dotTo250.p50)), n1)} / ${cell(spread(p.map((x) => x.dotTo250.p99)), n1)}` : '–',
      p ? `${cell(spread(p.map((x) => x.connectTo220.p50)), n2)} / ${cell(spread(p.map((x) => x.connectTo220.p99)), n2)}` : '–',
      g ? `${cell(spread(g.map((x) => x.p50)), n2)} / ${cell(spread(g.map((x) => x.p99)), n2)}` : '–',
    ]);
  }
  return [
    'Latency (medians over the runs; min–max in brackets): the paced probe sends at half of that run\'s accepted rate with our client, a new connection per message; the greeting probe opens one connection at a time (connect → 220, then QUIT) before the load.',
    '',
    table(['MTA', 'probe offered msg/s', 'probe: final dot → 250 p50 / p99 ms', 'probe: connect → 220 p50 / p99 ms', 'idle: connect → 220 p50 / p99 ms'], rows),
  ].join('\n');
}

function checksTable(l: SenderLoadResult): string {
  const rows: string[][] = [];
  for (const k of ORDER) {
    (l.runs[k] ?? []).forEach((f, i) => {
      const c = checkRun(f);
      if (!c.ok) rows.push([`run ${i + 1}: ${NAMES[k]}`, n0(f.messages), n0(f.sinkCount), String(f.deferred ?? '–'), String(f.bounced ?? '–'), String(f.sourceExitCode), c.problems.join('; ')]);
    });
  }
  const all = ORDER.reduce((s, k) => s + (l.runs[k]?.length ?? 0), 0);
  return rows.length
    ? [`**${rows.length} of ${all} runs failed their check; their figures are left out of the medians.**`, '', table(['run', 'sent', 'sink got', 'deferred', 'bounced', 'load exit', 'problem'], rows)].join('\n')
    : `Checks: all ${all} runs passed (the sinks got exactly what was sent${l.deliveriesPerMessage > 1 ? `, ${l.deliveriesPerMessage} deliveries per message` : ''}, nothing deferred or bounced, the load generator succeeded).`;
}

function redisLine(l: SenderLoadResult): string {
  const r = l.redis;
  if (!r) return '';
  return `Our Redis (INFO commandstats over each measured run, commands inside Lua scripts included): ${cell(spread(r.callsPerMessage), n1)} calls per message; first run: ${r.first.map((c) => `${c.command} ${n2(c.callsPerMessage)} (${n1(c.usecPerMessage)} µs)`).join(', ')}.`;
}

function profileLines(l: SenderLoadResult): string {
  const p = l.profile;
  if (!p) return '';
  const part = (name: string, s: typeof p.listener) =>
    `**${name}** ${n3(s.busyMs / p.messages)} ms CPU per message on the main thread (busy samples of the whole process life ÷ messages, start-up included: compare the CPU meters above); self time: ${s.functions
      .slice(0, 8)
      .map((f) => `\`${f.name}\` ${n1(f.pct)} %`)
      .join(', ')}; by package: ${s.packages
      .slice(0, 6)
      .map((f) => `${f.name} ${n1(f.pct)} %`)
      .join(', ')}.`;
  return [`Profile of ours (\`node --cpu-prof\`, a separate run of the same load): ${part('listener', p.listener)} ${part('delivery', p.delivery)}`].join('\n');
}

export function renderSenders(s: SendersResult & Stamp): string {
  const loads = Object.values(s.loads);
  const sections = loads.map((l) =>
    [
      `### ${l!.title} (${warmText(l!)})`,
      '',
      stampLine({ ranAt: l!.ranAt, loadAvgAtStart: l!.loadAvgAtStart, command: l!.command ?? s.command }),
      '',
      l!.describe,
      '',
      l!.warmup
        ? `Warm-up: before each measured run, ${n0(l!.warmup)} messages of the same load went into that MTA (fresh processes, the same sinks), were all delivered, and were left out of every figure${l!.name === 'many-domains' ? ' (to other domains than the measured run, so it still meets fresh queues)' : ''}.`
        : 'Cold: every measured run starts with freshly started MTA processes.',
      '',
      `Order of the runs: ${l!.order.join(', ')}.`,
      '',
      loadTable(l!),
      '',
      probeTable(l!),
      '',
      checksTable(l!),
      '',
      redisLine(l!),
      '',
      profileLines(l!),
    ].join('\n'),
  );
  return [
    '## 2. Senders: Postfix, Haraka and vmta side by side',
    '',
    `Each load into a fresh Postfix (private instance, destination concurrency ${s.maxSmtpOut}, fsync before 250), a fresh Haraka ${s.harakaVersion} (npm, one process, outbound queue on disk with fsync before 250, no connection reuse to the sink: Haraka's outbound has none) and a fresh vmta (listener and delivery processes, max-smtp-out ${s.maxSmtpOut}, Redis AOF \`appendfsync ${s.fsync}\`)${s.vmtaCli ? ` built from \`${s.vmtaCli}\`` : ''}, each relaying to fresh smtp-sinks. The three take turns going first. Figures are medians of the runs (min–max in brackets); CPU per 1,000 messages is the median over the runs, per process, over the end-to-end window (it closes when the sinks have the last message); the settle-inclusive rows, where present, close the same window only once the MTA's processes are idle, so they include what the MTA does after the last delivery (completions, clean-up, fsyncs, logging). Targets (issue 13, goals): end to end ≥ ${SENDER_TARGETS.endToEndVsPostfix}× Postfix and ahead of Haraka, accepted ≥ ${SENDER_TARGETS.acceptVsPostfix}× Postfix, p99 final dot → 250 ≤ ${SENDER_TARGETS.p99AcceptMs} ms at half of peak, connect → 220 ≤ ${SENDER_TARGETS.greetingP50Ms} ms p50.`,
    '',
    table(['load', 'Postfix e2e msg/s', 'Haraka e2e msg/s', 'vmta e2e msg/s', 'vmta / Postfix e2e', 'vmta / Haraka e2e', 'Postfix accepted msg/s', 'Haraka accepted msg/s', 'vmta accepted msg/s', 'vmta / Postfix accepted', 'throughput targets hold', `vmta p99 dot → 250 at half of peak, ms (≤ ${SENDER_TARGETS.p99AcceptMs})`, `vmta connect → 220 p50, ms (≤ ${SENDER_TARGETS.greetingP50Ms})`, 'runs'], summaryRows(s)),
    '',
    ...sections.flatMap((x) => [x, '']),
  ].join('\n');
}
