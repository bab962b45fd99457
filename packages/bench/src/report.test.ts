import { describe, expect, it } from 'vitest';
import { e2eTargets, renderBenchmarks, type BenchResults } from './report.js';
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
});
