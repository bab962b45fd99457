import { describe, expect, it } from 'vitest';
import { e2eChecks, e2eMedians, endToEndOrCutoff, e2eTargets, renderBenchmarks, spreadCell, type BenchResults } from './report.js';
import type { E2eResult, RunFigures } from './scenarios/e2e.js';

const run = (accepted: number, e2e: number, p99?: number): RunFigures => ({
  messages: 1000,
  acceptMs: 1e6 / accepted,
  endToEndMs: 1e6 / e2e,
  acceptedPerSec: accepted,
  endToEndPerSec: e2e,
  sinkCount: 1000,
  sourceExitCode: 0,
  cpuPer1000: { 'vmta listener': 1, 'vmta delivery': 1, 'redis-server': 0.5, 'postfix (all processes)': 1 },
  ...(p99 === undefined ? {} : { latency: { offeredPerSec: accepted / 2, messages: 500, failures: 0, p50: 1, p90: 2, p99, max: p99 } }),
});

function e2e(vmta: RunFigures, memory = 2048): E2eResult {
  return {
    load: { messages: 1000, sessions: 20, size: 10240, from: 'a@b', to: 'c@d', smtpSourceArgs: ['-d'] },
    fsync: 'always',
    maxSmtpOut: 20,
    direct: run(10000, 10000),
    postfix: { ...run(1000, 900, 5), cpuByProcess: { smtpd: 0.2 } },
    vmta,
    redis: {
      commandsPerMessage: [{ command: 'evalsha', callsPerMessage: 3, usecPerMessage: 60 }],
      totalCallsPerMessage: 3,
      memoryPerMessage: memory,
      memoryMessages: 1000,
      memoryPerTextMessage: memory,
      textBodyBytes: 10000,
      textStoredBytes: 4000,
      acceptOnlyPerSec: 1000,
      drainOnlyPerSec: 800,
      slowlog: [],
    },
  };
}

describe('BENCHMARKS.md', () => {
  it.each([
    [run(2500, 1500, 10), 2048, [true, true, true, true]],
    [run(1000, 900, 50), 7000, [false, false, false, false]],
    [run(2000, 1350, 20), 6144, [true, true, true, true]],
  ])('judges the targets against the Postfix run of the same results', (vmta, memory, verdicts) => {
    expect(e2eTargets(e2e(vmta, memory)).map((t) => t.ok)).toEqual(verdicts);
  });

  it('says which figures were extrapolated and keeps scenarios not run as "not run"', () => {
    const results: BenchResults = {
      machine: { date: 'x', cpu: 'cpu', cores: 2, memoryGiB: 24, kernel: 'Linux', node: 'v20', redis: '7', postfix: '3.7', loadAvgAtStart: [1, 1, 1] },
      million: {
        ranAt: '2026-01-01T00:00:00Z', loadAvgAtStart: [1], command: 'pnpm bench', target: 1_000_000, messages: 300_000, domains: 10, bodyBytes: 10_000, storedBodyBytes: 4000,
        enqueueMs: 300_000, enqueuePerSec: 1000, usedMemoryBytes: 1.5e9, memoryPerMessage: 5000, aofBytes: 1.4e9, deliveryProcesses: 2, drainedMessages: 200_000,
        drainMs: 200_000, drainPerSec: 1000, extrapolated: true, drainCut: true, drainTotalSeconds: 1000, deliveryCpuPer1000: 1, redisCpuPer1000: 0.2,
        projected: { memoryBytes: 5e9, enqueueSeconds: 1000, drainSeconds: 1000 },
      },
    };
    const md = renderBenchmarks(results, '## Notes\n\nhand-written');
    expect(md).toContain('## 1. End to end\n\nNot run yet.');
    expect(md).toContain('**Cut by the time budget**');
    expect(md).toContain('**projected** time to drain 1,000,000');
    expect(md.trimEnd().endsWith('hand-written')).toBe(true);
  });

  const machine = { date: 'x', cpu: 'cpu', cores: 2, memoryGiB: 24, kernel: 'Linux', node: 'v20', redis: '7', postfix: '3.7', loadAvgAtStart: [1, 1, 1] };
  const stamp = { ranAt: '2026-01-01T00:00:00Z', loadAvgAtStart: [1], command: 'pnpm bench' };

  function repeated(): E2eResult {
    const base = e2e(run(2000, 1500, 10));
    return {
      ...base,
      runs: {
        direct: [run(10000, 10000), run(12000, 12000), run(11000, 11000)],
        postfix: [run(1000, 900, 5), run(1200, 1100, 7), run(800, 700, 6)],
        vmta: [run(2000, 1500, 10), run(2400, 1800, 12), run(1600, 1200, 8)],
        order: ['1:postfix', '1:vmta', '2:vmta', '2:postfix', '3:postfix', '3:vmta'],
      },
    };
  }

  it('takes medians and min–max over the runs, and judges the targets on the medians', () => {
    const m = e2eMedians(repeated());
    expect(m.postfix.endToEnd).toEqual({ median: 900, min: 700, max: 1100, runs: 3 });
    expect(m.vmta.p99).toEqual({ median: 10, min: 8, max: 12, runs: 3 });
    expect(spreadCell(m.vmta.accepted)).toBe('2,000 (1,600–2,400)');
    expect(spreadCell({ median: 5, min: 5, max: 5, runs: 1 })).toBe('5');
    // 1500 / 900 and 2000 / 1000 of the medians.
    expect(e2eTargets(repeated()).map((t) => t.value.slice(0, 5))).toEqual(['1.67×', '2.00×', '10.0 ', '2.00 ']);
  });

  it('renders the medians, the run order and every run\'s check; a short sink is a visible failure', () => {
    const e = repeated();
    e.runs!.vmta[1] = { ...run(2400, 1800, 12), sinkCount: 990, deferred: 10, bounced: 0 };
    const md = renderBenchmarks({ machine, e2e: { ...e, ...stamp } });
    expect(md).toContain('**Medians of 3 runs**');
    expect(md).toContain('1:postfix, 1:vmta, 2:vmta, 2:postfix, 3:postfix, 3:vmta');
    expect(md).toContain('| accepted msg/s | 11,000 (10,000–12,000) | 1,000 (800–1,200) | 2,000 (1,600–2,400) | 2.00× |');
    expect(md).toContain('1.0 (1.0–1.0) / 6.0 (5.0–7.0)');
    expect(md).toContain('**1 run(s) failed their check');
    expect(md).toContain('| run 2: vmta (appendfsync always) | 1,000 | 990 | 10 | 0 | 0 | **FAILED**: sink got 990 of 1000; 10 deferred |');
    expect(e2eChecks(e)).toHaveLength(9);
  });

  it('says a single run is a single run, and that every run passed', () => {
    const md = renderBenchmarks({ machine, e2e: { ...e2e(run(2000, 1500, 10)), ...stamp } });
    expect(md).toContain('Single run of each');
    expect(md).toContain('Every run passed');
    expect(md).not.toContain('Slow sink');
  });

  it('says whether the e2e runs were warmed up, and reads results from before the warm-up as cold', () => {
    const warm = renderBenchmarks({ machine, e2e: { ...e2e(run(2000, 1500, 10)), warmup: 1000, ...stamp } });
    expect(warm).toContain('Warm-up: before each measured run (medians and single-run columns), 1,000 messages of the same load');
    expect(warm).toContain('The slow-sink and many-domain variants below are cold.');
    const old = renderBenchmarks({ machine, e2e: { ...e2e(run(2000, 1500, 10)), ...stamp } });
    expect(old).toContain('Cold: every measured run starts with freshly started MTA processes');
    expect(old).not.toContain('Warm-up:');
  });

  it('renders the slow-sink and many-domain variants with their ratios and checks', () => {
    const e: E2eResult = {
      ...e2e(run(2000, 1500, 10)),
      slowSink: { messages: 1000, sessions: 20, loadArgs: ['-d', '-m', '1000'], sinkArgs: ['-w', '1'], domains: 1, postfix: run(1000, 16), vmta: run(2000, 20) },
      manyDomains: { messages: 1000, sessions: 20, loadArgs: ['client'], sinkArgs: [], domains: 1000, direct: run(5000, 5000), postfix: run(1000, 800), vmta: { ...run(1500, 1200), sinkCount: 999 } },
    };
    const md = renderBenchmarks({ machine, e2e: { ...e, ...stamp } });
    expect(md).toContain('### Slow sink (single run)');
    expect(md).toContain('`smtp-sink -w 1`');
    expect(md).toContain('| end-to-end msg/s (until the sink has every message) | 16 | 20 | 1.25× |');
    expect(md).toContain('### Many destination domains: 1,000 (single run)');
    expect(md).toContain('| end-to-end msg/s (until the sink has every message) | 5,000 | 800 | 1,200 | 1.50× |');
    expect(md).toContain('999 (1,000), **FAILED**');
    expect(md).toContain('| many domains: vmta | 1,000 | 999 |');
  });

  it('shows a run cut off by its time limit with what arrived by then, and still gives a ratio', () => {
    const cut: RunFigures = { ...run(2000, 1), endToEndMs: Number.NaN, endToEndPerSec: Number.NaN, sinkCount: 120, cutoffMs: 60_000 };
    expect(endToEndOrCutoff(cut)).toEqual({ rate: 2, cell: '**cut off**: 120 of 1,000 in 60 s ≈ 2' });
    expect(endToEndOrCutoff({ ...cut, cutoffMs: undefined }).rate).toBeUndefined();
    const e: E2eResult = { ...e2e(run(2000, 1500, 10)), slowSink: { messages: 1000, sessions: 20, loadArgs: [], sinkArgs: ['-w', '1'], domains: 1, postfix: run(1000, 16), vmta: cut } };
    const md = renderBenchmarks({ machine, e2e: { ...e, ...stamp } });
    expect(md).toContain('| 16 | **cut off**: 120 of 1,000 in 60 s ≈ 2 | 0.13× |');
    expect(md).toContain('| slow sink: vmta | 1,000 | 120 |');
    expect(md).toContain('did not finish in time');
  });

  it('renders the delivery-at-normal-priority column, its check, and the accept-window CPU', () => {
    const accept = (listener: number, delivery: number, redis: number) => ({ 'vmta listener': listener, 'vmta delivery': delivery, 'redis-server': redis, 'smtp-sink': 0.01 });
    const base = repeated();
    const e: E2eResult = {
      ...base,
      postfix: { ...base.postfix, acceptCpuPer1000: { 'postfix (all processes)': 0.9, 'smtp-sink': 0.02 }, sinkCountAtAcceptEnd: 500 },
      vmta: { ...base.vmta, acceptCpuPer1000: accept(0.4, 0.1, 0.2), sinkCountAtAcceptEnd: 300, nice: { 'vmta listener': 0, 'vmta delivery': 19 } },
      vmtaOtherFsync: { ...run(2100, 1600, 9), fsync: 'everysec' },
      vmtaNormalPriority: {
        ...run(1800, 1400, 12),
        deliveryArgs: ['--nice', '0'],
        acceptCpuPer1000: accept(0.4, 0.3, 0.2),
        sinkCountAtAcceptEnd: 800,
        nice: { 'vmta listener': 0, 'vmta delivery': 0 },
      },
    };
    const md = renderBenchmarks({ machine, e2e: { ...e, ...stamp } });
    expect(md).toContain('| vmta / Postfix (medians) | vmta (appendfsync everysec, single run), vs Postfix median | vmta, delivery at normal priority (`--nice 0`, single run), vs Postfix median |');
    expect(md).toContain('| accepted msg/s | 11,000 (10,000–12,000) | 1,000 (800–1,200) | 2,000 (1,600–2,400) | 2.00× | 2,100 (2.10×) | 1,800 (1.80×) |');
    // 1400 / the Postfix median of 900.
    expect(md).toContain('| 1,600 (1.78×) | 1,400 (1.56×) |');
    expect(md).toContain('| 1.0 / 9.0 (at 1,050/s) | 1.0 / 12.0 (at 900/s) |');
    expect(md).toContain("delivery's nice read from /proc: 19 in the first vmta run, 0 in this one");
    expect(md).toContain('The appendfsync everysec column, the delivery at normal priority column, the CPU, Redis and profile figures are **single runs**');
    expect(md).toContain('| single run: vmta (appendfsync always), delivery at normal priority (`--nice 0`) | 1,000 | 1,000 | – | – | 0 | ok |');
    expect(e2eChecks(e)).toHaveLength(11);
    expect(md).toContain('| process | CPU s / 1,000 msg (end to end) | accept window |');
    expect(md).toContain('| **Postfix total** | **1.000** | **0.900** |');
    expect(md).toContain('| vmta delivery | 1.000 | 0.100 |');
    expect(md).toContain('| **vmta total (listener + delivery + redis-server)** | **2.500** | **0.700** |');
    expect(md).toContain('| smtp-sink (in the Postfix run / in ours) | – / – | 0.020 / 0.010 |');
    expect(md).toContain('| vmta with appendfsync everysec: listener / delivery / redis-server | 1.000 / 1.000 / 0.500 | – |');
    expect(md).toContain('| vmta, delivery at normal priority (`--nice 0`): listener / delivery / redis-server | 1.000 / 1.000 / 0.500 | 0.400 / 0.300 / 0.200 |');
    expect(md).toContain('the sink had 300 of 1,000 messages in the first vmta run (delivery at nice 19), 800 of 1,000 with delivery at normal priority, 500 of 1,000 with Postfix.');
  });

  it('renders results written before the accept window and the priority run, with "–" for what they lack', () => {
    const old: E2eResult = { ...e2e(run(2000, 1500, 10)), vmtaOtherFsync: { ...run(2100, 1600, 9), fsync: 'everysec' } };
    const md = renderBenchmarks({ machine, e2e: { ...JSON.parse(JSON.stringify(old)), ...stamp } });
    expect(md).not.toContain('normal priority');
    expect(md).toContain('| accepted msg/s | 10,000 | 1,000 | 2,000 | 2.00× | 2,100 (2.10×) |');
    expect(md).toContain('| **Postfix total** | **1.000** | – |');
    expect(md).toContain('| vmta delivery | 1.000 | – |');
    expect(md).toContain('| **vmta total (listener + delivery + redis-server)** | **2.500** | – |');
    expect(md).toContain('| vmta with appendfsync everysec: listener / delivery / redis-server | 1.000 / 1.000 / 0.500 | – |');
    expect(md).toContain('Accept window: not recorded in these results (–).');
    expect(e2eChecks(old)).toHaveLength(4);
  });
});
