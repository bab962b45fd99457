import { describe, expect, it } from 'vitest';
import { SETTLE_RULE, settledAt, type SettleSample } from './settle.js';

/** Samples every 100 ms; cpu[k](t) given as functions of ms. */
const trace = (untilMs: number, ...meters: Array<(ms: number) => number>): SettleSample[] =>
  Array.from({ length: untilMs / 100 + 1 }, (_, i) => ({ ms: i * 100, cpu: meters.map((f) => f(i * 100)) }));

describe('settledAt: when the MTA went idle after a run', () => {
  it('waits for the last busy meter, then for a quiet stretch of 500 ms', () => {
    // Meter 0 stops at 300 ms, meter 1 (say Redis fsyncing) keeps going until 1,200 ms.
    const busyUntil = (end: number) => (ms: number) => Math.min(ms, end) * 0.5e-3;
    const s = trace(3000, busyUntil(300), busyUntil(1200));
    expect(settledAt(s)).toEqual({ index: 17, busyMs: 1200, capped: false });
    expect(settledAt(s.slice(0, 17))).toBeUndefined();
  });

  it('lets one clock tick through (2 % of a core over 500 ms is 10 ms), not two', () => {
    const tick = 0.01;
    // One tick at 200 ms, then nothing: quiet from the first sample on.
    expect(settledAt(trace(2000, (ms) => (ms >= 200 ? tick : 0)))).toEqual({ index: 5, busyMs: 0, capped: false });
    // A tick every 200 ms (5 % of a core): never quiet; at the cap the last sample is taken.
    const s = trace(10_000, (ms) => Math.floor(ms / 200) * tick);
    expect(settledAt(s)).toEqual({ index: 100, busyMs: 10_000, capped: true });
    expect(settledAt(s.slice(0, 99))).toBeUndefined();
  });

  it('needs a stretch of at least quietMs, whatever the spacing of the samples', () => {
    const s: SettleSample[] = [
      { ms: 0, cpu: [0] },
      { ms: 450, cpu: [0] },
      { ms: 700, cpu: [0] },
    ];
    expect(settledAt(s)).toEqual({ index: 2, busyMs: 0, capped: false });
    expect(settledAt(s.slice(0, 2))).toBeUndefined();
    expect(settledAt([], SETTLE_RULE)).toBeUndefined();
  });
});
