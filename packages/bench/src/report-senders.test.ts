import { describe, expect, it } from 'vitest';
import { renderSenders } from './report-senders.js';
import type { RunFigures } from './scenarios/e2e-types.js';
import type { SenderLoadResult, SendersResult } from './scenarios/senders.js';

const run = (accepted: number, e2e: number, cpu: Record<string, number>, sinkCount = 1000): RunFigures => ({
  messages: 1000,
  acceptMs: 1e6 / accepted,
  endToEndMs: 1e6 / e2e,
  acceptedPerSec: accepted,
  endToEndPerSec: e2e,
  sinkCount,
  deferred: 0,
  bounced: 0,
  sourceExitCode: 0,
  cpuPer1000: { ...cpu, 'smtp-sink': 0.2, 'load generator (bench process + smtp-source)': 0.5 },
});

const load = (over: Partial<SenderLoadResult>): SenderLoadResult => ({
  name: 'per-connection',
  title: 'One connection per message',
  describe: 'smtp-source without -d',
  messages: 1000,
  sessions: 20,
  deliveriesPerMessage: 1,
  runs: {
    postfix: [run(300, 290, { 'postfix (all processes)': 3 }), run(320, 300, { 'postfix (all processes)': 3.2 }), run(310, 280, { 'postfix (all processes)': 3.1 })],
    haraka: [run(150, 140, { haraka: 6 }), run(160, 150, { haraka: 6.2 }), run(155, 145, { haraka: 6.1 })],
    vmta: [run(700, 620, { 'vmta listener': 1, 'vmta delivery': 0.8, 'redis-server': 0.3 }), run(650, 600, { 'vmta listener': 1.1, 'vmta delivery': 0.9, 'redis-server': 0.3 }), run(680, 590, { 'vmta listener': 1, 'vmta delivery': 0.8, 'redis-server': 0.3 }, 999)],
  },
  order: ['1:postfix', '1:haraka', '1:vmta'],
  greeting: { vmta: [{ p50: 0.4, p99: 3, count: 300 }] },
  probe: { vmta: [{ offeredPerSec: 340, dotTo250: { p50: 2, p99: 12, count: 400 }, connectTo220: { p50: 0.5, p99: 4, count: 400 }, failures: 0 }] },
  ranAt: '2026-12-03T10:50:00.000Z',
  loadAvgAtStart: [1, 1, 1],
  ...over,
});

const result = (loads: SenderLoadResult[]): SendersResult & { ranAt: string; loadAvgAtStart: number[]; command: string } => ({
  fsync: 'always',
  maxSmtpOut: 20,
  harakaVersion: '3.3.4',
  loads: Object.fromEntries(loads.map((l) => [l.name, l])),
  ranAt: '2026-12-03T10:50:00.000Z',
  loadAvgAtStart: [1, 1, 1],
  command: 'pnpm bench --scenario senders',
});

describe('BENCHMARKS.md, the senders section', () => {
  const md = renderSenders(result([load({})]));

  it('puts the three MTAs side by side with medians, ratios and whether the targets hold', () => {
    const row = md.split('\n').find((l) => l.startsWith('| One connection per message (cold) |'))!;
    // vmta's third run failed its check: its medians are those of the other two (e2e 610, accepted 675)
    expect(row).toContain('| 290 | 145 | 610 | 2.10× | 4.21× |');
    expect(row).toContain('| 310 | 155 | 675 | 2.18× | yes | 12.0 (yes) | 0.40 (yes) | 3, **1 failed** |');
  });

  it('gives CPU per 1,000 messages of every process and the MTA total', () => {
    expect(md).toContain('| CPU s / 1,000 msg, the MTA (all its processes) | – | **3.100** | **6.100** | **2.200** |');
    expect(md).toContain('| end-to-end msg/s (until the sinks have every message) | – | 290 (280–300) | 145 (140–150) | 610 (600–620) |');
    expect(md).toContain('| CPU s / 1,000 msg: haraka | – | – | 6.100 | – |');
  });

  it('lists a failed check', () => {
    expect(md).toContain('**1 of 9 runs failed their check; their figures are left out of the medians.**');
    expect(md).toContain('sink got 999 of 1000');
  });
  it('says in every title and summary row whether the runs were warmed up or cold', () => {
    const warm = renderSenders(result([load({ warmup: 1000 }), load({ name: 'many-domains', title: 'Many domains', warmup: 1000 }), load({ name: 'reused', title: 'Reused', warmup: 0 })]));
    expect(warm).toContain('### One connection per message (after 1,000 warm-up messages)');
    expect(warm).toContain('| One connection per message (after 1,000 warm-up messages) |');
    expect(warm).toContain('### Reused (cold)');
    expect(warm).toContain('| Reused (cold) |');
    expect(warm).toContain('Warm-up: before each measured run, 1,000 messages of the same load');
    expect(warm).toContain('other domains than the measured run');
    expect(warm).toContain('Cold: every measured run starts with freshly started MTA processes.');
  });
  it('reads results from before the warm-up existed as cold', () => {
    expect(md).toContain('### One connection per message (cold)');
  });

  it('puts the settle-inclusive CPU next to the window figure, and renders older results without it', () => {
    const settle = (cpu: Record<string, number>, busyMs: number, capped = false) => ({ cpuPer1000: { ...cpu, 'smtp-sink': 0.2, 'load generator (bench process + smtp-source)': 0.5 }, busyMs, capped });
    const withSettle = (r: RunFigures, s: ReturnType<typeof settle>): RunFigures => ({ ...r, settle: s });
    const l = load({});
    const pf = l.runs.postfix!;
    const vm = l.runs.vmta!;
    const md2 = renderSenders(
      result([
        load({
          runs: {
            postfix: [withSettle(pf[0]!, settle({ 'postfix (all processes)': 3.5 }, 300)), withSettle(pf[1]!, settle({ 'postfix (all processes)': 3.7 }, 500)), withSettle(pf[2]!, settle({ 'postfix (all processes)': 3.6 }, 10_000, true))],
            // Haraka's runs are from before the field: a dash, not a zero.
            haraka: l.runs.haraka!,
            vmta: [withSettle(vm[0]!, settle({ 'vmta listener': 1, 'vmta delivery': 1.2, 'redis-server': 0.5 }, 900)), withSettle(vm[1]!, settle({ 'vmta listener': 1.1, 'vmta delivery': 1.3, 'redis-server': 0.5 }, 1100)), vm[2]!],
          },
        }),
      ]),
    );
    expect(md2).toContain('| CPU s / 1,000 msg, the MTA (all its processes) | – | **3.100** | **6.100** | **2.200** |');
    expect(md2).toContain('| CPU s / 1,000 msg, the MTA, until it was idle after the last delivery (settle-inclusive) | – | **3.600** | – | **2.800** |');
    expect(md2).toContain('| CPU s / 1,000 msg until idle: vmta delivery | – | – | – | 1.250 |');
    expect(md2).not.toContain('until idle: smtp-sink');
    expect(md2).toContain('| 500 (300–10,000), 1 run(s) still busy at the cap | – | 1,000 (900–1,100) |');
    // Results written before the field: no settle rows at all.
    expect(md).not.toContain('settle-inclusive)');
    expect(md).not.toContain('until idle');
  });
});
