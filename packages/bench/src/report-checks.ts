/** The e2e checks table (every run) and the single-run variants (slow sink, many domains). */
import { checkRun } from './runs.js';
import type { E2eResult, RunFigures, VariantResult } from './scenarios/e2e.js';
import { n0, table, x2 } from './report-format.js';
import { ratio } from './stats.js';

/** Every run's check, in the order the runs ran. */
export function e2eChecks(e: E2eResult): Array<{ run: string; figures: RunFigures }> {
  const rows: Array<{ run: string; figures: RunFigures }> = [];
  const runs = e.runs ?? { direct: [e.direct], postfix: [e.postfix], vmta: [e.vmta] };
  runs.direct.forEach((f, i) => rows.push({ run: `run ${i + 1}: smtp-source → smtp-sink`, figures: f }));
  runs.postfix.forEach((f, i) => rows.push({ run: `run ${i + 1}: Postfix`, figures: f }));
  runs.vmta.forEach((f, i) => rows.push({ run: `run ${i + 1}: vmta (appendfsync ${e.fsync})`, figures: f }));
  if (e.vmtaOtherFsync) rows.push({ run: `single run: vmta (appendfsync ${e.vmtaOtherFsync.fsync})`, figures: e.vmtaOtherFsync });
  const np = e.vmtaNormalPriority;
  if (np) rows.push({ run: `single run: vmta (appendfsync ${e.fsync}), delivery at normal priority (\`${np.deliveryArgs.join(' ')}\`)`, figures: np });
  for (const [name, v] of [['slow sink', e.slowSink], ['many domains', e.manyDomains]] as const) {
    if (!v) continue;
    if (v.direct) rows.push({ run: `${name}: client → smtp-sink`, figures: v.direct });
    rows.push({ run: `${name}: Postfix`, figures: v.postfix }, { run: `${name}: vmta`, figures: v.vmta });
  }
  return rows;
}

export function renderChecks(e: E2eResult): string {
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

export function renderSlowSink(e: E2eResult): string {
  const v = e.slowSink;
  if (!v) return '';
  return renderVariant(
    '### Slow sink (single run)',
    `A sink that pushes back: \`smtp-sink ${v.sinkArgs.join(' ')}\` waits before its reply to DATA, so each connection carries at most one message per delay and the queue builds up in the MTA. Load: \`smtp-source ${v.loadArgs.join(' ')}\` (${n0(v.messages)} messages); destination concurrency ${e.maxSmtpOut} on both sides, so the ceiling is about ${e.maxSmtpOut} connections ÷ the delay. One run each, not a median.`,
    e,
    v,
  );
}

export function renderManyDomains(e: E2eResult): string {
  const v = e.manyDomains;
  if (!v) return '';
  return renderVariant(
    `### Many destination domains: ${n0(v.domains)} (single run)`,
    `${n0(v.messages)} messages, recipients round-robin over ${n0(v.domains)} domains, ${v.sessions} sessions, one connection per session. smtp-source cannot vary the recipient domain, so the load comes from the bench's own SMTP client (${v.loadArgs.join('; ')}); it costs more CPU than smtp-source on the same two cores, hence its own "client → smtp-sink" ceiling. Every domain goes to the one sink: ours through \`<domain *>\` smtp-hosts, i.e. ${n0(v.domains)} queues (domain/vmta), each with its own connections; Postfix through its relayhost, i.e. **one** nexthop queue and connection cache for all domains (what Postfix does with a smarthost). One run each, not a median.`,
    e,
    v,
  );
}
