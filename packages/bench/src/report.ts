/**
 * BENCHMARKS.md from the raw figures (bench-results.json). Pure: the same
 * results always render the same page. Hand-written analysis lives in
 * packages/bench/notes.md and is appended as it is. Section 1 (e2e) is
 * report-e2e.ts and report-checks.ts; formats and targets are report-format.ts.
 */
import { HARAKA_VERSION } from './haraka.js';
import type { Machine } from './machine.js';
import { renderE2e } from './report-e2e.js';
import { holds, kb, n0, n1, n2, n3, stampLine, table, TARGETS, type Stamp } from './report-format.js';
import type { E2eResult } from './scenarios/e2e.js';
import type { DkimResult } from './scenarios/dkim.js';
import { renderSuppress, type SuppressResult } from './scenarios/suppress.js';
import type { ReplicationResult } from './scenarios/replication.js';
import { renderReplication, REPLICATION_TITLE } from './report-replication.js';
import type { CapacityResult } from './scenarios/capacity.js';
import { median } from './runs.js';
import type { MillionResult } from './scenarios/million.js';
import type { OpsResult } from './scenarios/ops.js';
import type { QueuesResult } from './scenarios/queues.js';
import type { SendersResult } from './scenarios/senders.js';
import { renderSenders } from './report-senders.js';
import { renderRedisCost } from './report-redis-cost.js';
import type { RedisCostResult } from './scenarios/redis-cost.js';

export { e2eChecks, endToEndOrCutoff } from './report-checks.js';
export { e2eMedians, e2eTargets, spreadCell, type RunSpreads } from './report-e2e.js';
export { TARGETS, type Stamp } from './report-format.js';

/** ", median of N runs" when there were several. */
function runsNote(runs: number[] | undefined): string {
  return runs && runs.length > 1 ? `, median of ${runs.length} runs` : '';
}

/** A median with the min–max of its runs, when there were several. */
function withSpread(median: number, runs: number[] | undefined): string {
  return runs && runs.length > 1 ? `${n0(median)} (${n0(Math.min(...runs))}–${n0(Math.max(...runs))})` : n0(median);
}

export interface BenchResults {
  machine: Machine;
  e2e?: E2eResult & Stamp;
  senders?: SendersResult & Stamp;
  queues?: QueuesResult & Stamp;
  million?: MillionResult & Stamp;
  dkim?: DkimResult & Stamp;
  suppress?: SuppressResult & Stamp;
  ops?: OpsResult & Stamp;
  replication?: ReplicationResult & Stamp;
  redisCost?: RedisCostResult & Stamp;
  capacity?: CapacityResult & Stamp;
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
    '## 3. Many queues: 10,000 domains, 1,000 of them blocked',
    '',
    stampLine(q),
    '',
    `${n0(q.domains)} domains, one message each, queued at once through packages/queue with delivery stopped; ${q.blocked.paused} paused, ${q.blocked.retry} in retry mode an hour ahead, ${q.blocked.throttle} throttled (\`max-msg-rate 1/h\`, two messages: the first goes, the second waits). One delivery process (default concurrency: 100 tokens per VMTA) then drains the rest to smtp-sink: every message needs its own connection (one domain each).`,
    '',
    table(
      ['figure', 'value', 'target', 'holds'],
      [
        ['enqueue (msg/s)', n0((q.enqueued * 1000) / q.enqueueMs), '', ''],
        [`drain of the ${n0(q.deliverable)} deliverable messages (msg/s)${runsNote(q.drainRuns?.blocked)}`, withSpread(q.drainPerSec, q.drainRuns?.blocked), full ? `single-domain drain: ${n0(full)} msg/s` : '', '–'],
        ...(q.unblockedDrainPerSec
          ? [
              [
                `control: ${n0(q.deliverable)} one-message domains, none blocked (msg/s)${runsNote(q.drainRuns?.unblocked)}`,
                `${withSpread(q.unblockedDrainPerSec, q.drainRuns?.unblocked)}; with the blocked queues: ${(q.drainPerSec / q.unblockedDrainPerSec).toFixed(2)}×`,
                `≥ ${TARGETS.drainVsUnblocked}× of the control`,
                holds(q.drainPerSec >= TARGETS.drainVsUnblocked * q.unblockedDrainPerSec),
              ],
            ]
          : []),
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

function renderDkim(d: DkimResult & Stamp): string {
  const base = d.variants.find((v) => v.variant === 'unsigned');
  return [
    '## 5. The cost of DKIM signing',
    '',
    stampLine(d),
    '',
    `DkimSigner.sign() on one core, in process, a ${n0(d.messageBytes)}-byte message, a new message each time (no cached signature). Delivery signs once per message and VMTA.`,
    '',
    '| signing | msg/s | µs per message |',
    '|---|---:|---:|',
    ...d.variants.map((v) => `| ${v.variant} | ${n0(v.msgPerSec)} | ${n0(v.usPerMsg)}${base && v !== base ? ` (+${n0(v.usPerMsg - base.usPerMsg)})` : ''} |`),
  ].join('\n');
}

/** Redis CPU per message (ms) and the end-to-end rate at which one Redis core would be busy at that cost; undefined without a Redis CPU figure. */
export function redisCeiling(msgPerSec: number, redisCpuPct: number): { cpuMsPerMsg: number; msgPerSec: number } | undefined {
  if (!(msgPerSec > 0) || !(redisCpuPct > 0)) return undefined;
  const cpuMsPerMsg = (redisCpuPct / 100) * (1000 / msgPerSec);
  return { cpuMsPerMsg, msgPerSec: 1000 / cpuMsPerMsg };
}

function renderCapacity(c: CapacityResult & Stamp): string {
  return [
    '## 10. How much one Redis primary carries',
    '',
    `N listener and N delivery processes against one Redis (appendfsync ${c.fsync}), ${n0(c.messages)} messages of ${c.size} B over ${c.sessions} reused sessions split over the listeners, one smtp-sink. msg/s is end to end (first connect to last arrival); CPU is over the same window, 100 % = one core. This machine has ${c.cores} cores shared by Redis, every vmta process, the senders and the sink: Redis does not reach a core of its own here, so the table shows how Redis's share grows with N, not the rate at which a dedicated Redis core saturates. Redis commands per message in detail: section 1 (e2e). Ran ${c.ranAt}, load average ${c.loadAvgAtStart.join(' ')}.`,
    '',
    '| N | msg/s end to end | accepted/s | Redis CPU % | listeners CPU % | deliveries CPU % | Redis commands / msg | Redis CPU ms / msg | one Redis core at that cost (msg/s) | failures | load avg 1 min |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...c.steps.map((s) => {
      const ceiling = redisCeiling(s.msgPerSec, s.redisCpuPct);
      return `| ${s.processes} | ${n0(s.msgPerSec)} | ${n0(s.acceptedPerSec)} | ${s.redisCpuPct} | ${s.listenersCpuPct} | ${s.deliveriesCpuPct} | ${s.redisCommandsPerMsg} | ${ceiling ? n3(ceiling.cpuMsPerMsg) : '–'} | ${ceiling ? `**${n0(ceiling.msgPerSec)}** (projected)` : '–'} | ${s.failures} | ${s.loadAvg} |`;
    }),
    '',
    'The last two columns are a projection, not a measurement: Redis runs commands on one thread, so at the Redis CPU each message cost here, one core given to Redis alone would be busy at that many messages per second end to end (accept and delivery). It is a ceiling from Redis CPU only: fsync (appendfsync always), the network between hosts and replication to replicas come on top, so a real primary saturates below it. Run the scenario on the target hardware to measure it.',
  ].join('\n');
}

function renderMillion(m: MillionResult & Stamp): string {
  const cut = m.messages < m.target;
  const target = m.target ?? m.messages;
  return [
    `## 4. A large backlog: ${n0(target)} queued messages`,
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

export function renderOps(o: OpsResult & Stamp): string {
  return [
    '## 7. Operator tools on a big queue',
    '',
    stampLine(o),
    '',
    `${n0(o.messages)} messages in one paused queue (half job-a, half job-b, a quarter from a second sender), filled in ${n1(o.enqueueSeconds)} s; one delivery process carries the deletes out. Each time is the wall time of the \`vmta\` command (node start-up included) until the counters say done.`,
    '',
    table(['step', 'seconds', ''], o.steps.map((s) => [s.step, n2(s.seconds), s.detail])),
    '',
    `Longest single Redis command after the fill (SLOWLOG, 1 ms threshold): ${o.slowCommands === 0 ? 'none reached 1 ms' : `${n2(o.longestCommandMs)} ms (${o.longestCommand}); ${n0(o.slowCommands)} commands of 1 ms or more`}. Recipients delivered while job-b was paused and the queue running: ${n0(o.deliveredWhilePaused)} (must be 0).`,
  ].join('\n');
}

export function renderBenchmarks(results: BenchResults, notes = ''): string {
  const m = results.machine;
  return [
    '# Benchmarks',
    '',
    'Generated by `pnpm bench` (packages/bench) from `bench-results.json`; do not edit the figures by hand. Targets are the goals of issues 6 and 13, not tests.',
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.kernel}; Node ${m.node}, Redis ${m.redis}, Postfix ${m.postfix}. Every ratio is against a baseline measured in the same run on the same machine.`,
    '',
    results.e2e ? renderE2e(results.e2e) : '## 1. End to end\n\nNot run yet.',
    '',
    results.e2e ? renderProfile(results.e2e) : '',
    '',
    results.senders ? renderSenders(results.senders) : '## 2. Senders\n\nNot run yet.',
    '',
    results.queues ? renderQueues(results.queues, results.e2e) : '## 3. Many queues\n\nNot run yet.',
    '',
    results.million ? renderMillion(results.million) : '## 4. A large backlog\n\nNot run yet.',
    '',
    results.dkim ? renderDkim(results.dkim) : '## 5. The cost of DKIM signing\n\nNot run yet.',
    '',
    results.suppress ? renderSuppress(results.suppress) : '## 6. Suppression store: 10 million addresses\n\nNot run yet.',
    '',
    results.ops ? renderOps(results.ops) : '## 7. Operator tools on a big queue\n\nNot run yet.',
    '',
    results.replication ? renderReplication(results.replication) : `${REPLICATION_TITLE}\n\nNot run yet.`,
    '',
    results.redisCost ? renderRedisCost(results.redisCost) : '## 9. Redis per message on the main paths\n\nNot run yet.',
    '',
    results.capacity ? renderCapacity(results.capacity) : '## 10. How much one Redis primary carries\n\nNot run yet.',
    '',
    '## How to reproduce',
    '',
    '```sh',
    'pnpm install && pnpm build      # the bench runs packages/cli/dist and packages/bench/dist',
    'pnpm bench                      # all scenarios; installs postfix and redis-server with apt-get when missing',
    'pnpm bench --scenario e2e --messages 20000',
    'pnpm bench --scenario senders --senders per-connection,submission --runs 3   # Postfix, Haraka and vmta side by side',
    'pnpm bench --scenario e2e --runs 5 --no-variants   # medians of 5 runs, without the slow-sink / many-domain variants',
    'pnpm bench --scenario million --million 200000 --drain-budget 300',
    'pnpm bench --scenario dkim       # signing cost: unsigned, RSA 2048, Ed25519, dual',
    'pnpm bench --scenario suppress --runs 3   # 10 million suppressed addresses: memory per entry, accept rate with and without the RCPT lookup',
    'pnpm bench --scenario ops        # delete/pause by job and sender, show messages on 100,000 queued',
    'pnpm bench --scenario replication --runs 3   # msg/s with and without WAIT (listener, delivery leases) on a primary and replica',
    'pnpm bench --scenario redis-cost # Redis commands, bytes and CPU per message: accept, backlog and trickle delivery, fan-out, many domains',
    'pnpm bench --quick              # smoke run with small counts',
    '```',
    '',
    `Everything runs on loopback (127.0.0.3 Postfix, 127.0.0.4 smtp-sink, 127.0.0.5 our listener, 127.0.0.6 Haraka), with a private Redis per scenario and a private Postfix instance (\`postfix -c\` on a temp directory); the system Postfix configuration is not touched. Haraka ${HARAKA_VERSION} is installed by npm outside the workspace (~/.cache/vmta-bench/haraka-${HARAKA_VERSION}, or BENCH_HARAKA_DIR), with a config directory per run. Options: \`pnpm bench --help\`. The machine is shared: the load average at the start of each scenario is recorded, and single runs are indicative only.`,
    '',
    notes.trim(),
    '',
  ]
    .filter((s, i, a) => !(s === '' && a[i - 1] === ''))
    .join('\n');
}
