import { describe, expect, it } from 'vitest';
import type { Context } from './scenarios/common.js';
import { measure, type Meter } from './scenarios/e2e-measure.js';
import type { Sink } from './sink.js';

describe('one measured run', () => {
  it('splits CPU into the accept window and the end-to-end window, and records the nice values', async () => {
    let received = 0;
    let finish: (t: number) => void = () => undefined;
    const sink: Sink = {
      host: '127.0.0.4',
      port: 1,
      pid: 0,
      count: () => received,
      waitFor: () => new Promise<number>((resolve) => (finish = resolve)),
      cpu: () => 0,
      stop: async () => undefined,
    };
    const cpu = { listener: 10, delivery: 20 };
    const meters: Meter[] = [
      { name: 'vmta listener', read: () => cpu.listener, nice: () => 0 },
      { name: 'vmta delivery', read: () => cpu.delivery, nice: () => 19 },
      { name: 'smtp-sink', read: () => 0 },
    ];
    const ctx = { log: () => undefined } as unknown as Context;
    const run = measure(ctx, sink, 0, 1000, { host: '127.0.0.5', port: 2 }, async () => {
      // While accepting: the listener takes 0.8 s, delivery 0.1 s and gets 300 messages out.
      cpu.listener += 0.8;
      cpu.delivery += 0.1;
      received = 300;
      setTimeout(() => {
        // After: delivery catches up.
        cpu.delivery += 0.5;
        received = 1000;
        finish(performance.now());
      }, 10);
      return { ms: 500, exitCode: 0, stderr: '', args: [] };
    }, meters);
    const f = await run;
    expect(f.acceptedPerSec).toBe(2000);
    expect(f.sinkCountAtAcceptEnd).toBe(300);
    expect(f.sinkCount).toBe(1000);
    expect(f.acceptCpuPer1000!['vmta listener']).toBeCloseTo(0.8);
    expect(f.acceptCpuPer1000!['vmta delivery']).toBeCloseTo(0.1);
    expect(f.cpuPer1000['vmta listener']).toBeCloseTo(0.8);
    expect(f.cpuPer1000['vmta delivery']).toBeCloseTo(0.6);
    expect(f.nice).toEqual({ 'vmta listener': 0, 'vmta delivery': 19 });
  });
});
