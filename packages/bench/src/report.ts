/**
 * BENCHMARKS.md from the raw figures (bench-results.json). Pure: the same
 * results always render the same page. Hand-written analysis lives in
 * packages/bench/notes.md and is appended as it is.
 */
import type { Machine } from './machine.js';
import type { E2eResult, RunFigures } from './scenarios/e2e.js';
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

export function e2eTargets(e: E2eResult): Array<{ target: string; value: string; ok: boolean | undefined }> {
  const e2eRatio = ratio(e.vmta.endToEndPerSec, e.postfix.endToEndPerSec);
  const acceptRatio = ratio(e.vmta.acceptedPerSec, e.postfix.acceptedPerSec);
  const p99 = e.vmta.latency?.p99;
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
  const rows = [
    ['accepted msg/s', n0(direct.acceptedPerSec), n0(postfix.acceptedPerSec), n0(vmta.acceptedPerSec), x2(ratio(vmta.acceptedPerSec, postfix.acceptedPerSec)), ...other(`${n0(o?.acceptedPerSec)} (${x2(ratio(o?.acceptedPerSec, postfix.acceptedPerSec))})`)],
    ['end-to-end msg/s (until the sink has every message)', n0(direct.endToEndPerSec), n0(postfix.endToEndPerSec), n0(vmta.endToEndPerSec), x2(ratio(vmta.endToEndPerSec, postfix.endToEndPerSec)), ...other(`${n0(o?.endToEndPerSec)} (${x2(ratio(o?.endToEndPerSec, postfix.endToEndPerSec))})`)],
    ['final dot → 250, p50 / p99 ms (at half of that run\'s accepted rate)', '–', lat(postfix), lat(vmta), x2(ratio(vmta.latency?.p99, postfix.latency?.p99)), ...other(lat(o))],
    [
      'messages the sink got (sent)',
      `${n0(direct.sinkCount)} (${n0(direct.messages)})`,
      `${n0(postfix.sinkCount)} (${n0(postfix.messages)})`,
      `${n0(vmta.sinkCount)} (${n0(vmta.messages)})`,
      '',
      ...other(`${n0(o?.sinkCount)} (${n0(o?.messages)})`),
    ],
  ];
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
    table(['', 'smtp-source → smtp-sink', 'Postfix', `vmta (appendfsync ${e.fsync})`, 'vmta / Postfix', ...other(`vmta (appendfsync ${o?.fsync}), vs Postfix`)], rows),
    '',
    '### Targets',
    '',
    table(['target', 'measured', 'holds'], targets.map((t) => [t.target, t.value, holds(t.ok)])),
    '',
    '### CPU seconds per 1,000 messages (over the end-to-end window)',
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
