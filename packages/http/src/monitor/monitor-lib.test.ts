import { describe, expect, it } from 'vitest';
import { MONITOR_LIB_JS } from './monitor-lib-js.js';

interface Row {
  queue: string;
  mode: string;
  queued: number;
  members?: string[];
}
interface Lib {
  formatCount(v: unknown): string;
  formatRate(v: unknown): string;
  formatDuration(v: unknown): string;
  formatWhen(t: unknown, now: number): string;
  labelOf(key: string): string;
  cellText(v: unknown): string;
  columnsOf(rows: object[]): string[];
  filterQueues(rows: Row[], text: string): Row[];
  sortQueues(rows: Row[], key: string, dir: 'asc' | 'desc'): Row[];
  niceStep(v: number): number;
  yScale(max: number, ticks: number): { top: number; step: number; values: number[] };
  minuteStep(span: number): number;
  chartModel(
    points: Array<Record<string, unknown>>,
    box: { width: number; height: number; left: number; right: number; top: number; bottom: number },
  ): { empty: boolean; max: number; lines: Record<string, string>; xTicks: Array<{ x: number; label: string }>; yTicks: Array<{ y: number; label: string }> };
}

// The very bytes GET /monitor-lib.js serves, imported as an ES module.
const lib = (await import(/* @vite-ignore */ `data:text/javascript;charset=utf-8,${encodeURIComponent(MONITOR_LIB_JS)}`)) as Lib;
const DASH = '\u2014';

describe('web monitor helpers', () => {
  it.each([
    [0, '0'],
    [1234567, '1,234,567'],
    [undefined, DASH],
    [Number.NaN, DASH],
    ['12', DASH],
  ])('formats the count %s as %s', (v, text) => {
    expect(lib.formatCount(v)).toBe(text);
  });

  it.each([
    [0, '0.0'],
    [0.44, '0.4'],
    [9.96, '10.0'],
    [12.6, '13'],
    [1250, '1,250'],
    [null, DASH],
  ])('formats the rate %s per minute as %s', (v, text) => {
    expect(lib.formatRate(v)).toBe(text);
  });

  it.each([
    [0, '0s'],
    [42.9, '42s'],
    [245, '4m 05s'],
    [3600 * 3 + 7 * 60 + 59, '3h 07m'],
    [86400 * 2 + 3600 * 4 + 5, '2d 04h'],
    [-1, DASH],
    [undefined, DASH],
  ])('formats %s seconds as %s', (v, text) => {
    expect(lib.formatDuration(v)).toBe(text);
  });

  it('writes a moment of the last 24 hours as a clock time, an older one with its date', () => {
    const now = new Date(2025, 2, 10, 9, 30).getTime();
    expect(lib.formatWhen(new Date(2025, 2, 10, 7, 5).toISOString(), now)).toBe('07:05');
    expect(lib.formatWhen(new Date(2025, 2, 9, 9, 31).toISOString(), now)).toBe('09:31');
    expect(lib.formatWhen(new Date(2025, 2, 9, 9, 29).toISOString(), now)).toBe('2025-03-09 09:29');
    expect(lib.formatWhen('not a date', now)).toBe(DASH);
  });

  it.each([
    ['connectionsOut', 'connections out'],
    ['sourceHosts', 'source hosts'],
    ['name', 'name'],
    ['ipv6Hosts', 'ipv6 hosts'],
  ])('labels the field %s as "%s"', (key, label) => {
    expect(lib.labelOf(key)).toBe(label);
  });

  it.each([
    [['192.0.2.1', '192.0.2.2'], '192.0.2.1, 192.0.2.2'],
    [[], DASH],
    [true, 'yes'],
    [false, 'no'],
    [12000, '12,000'],
    [null, DASH],
    ['pool', 'pool'],
    [{ nested: 1 }, DASH],
  ])('shows the cell %j as %s', (v, text) => {
    expect(lib.cellText(v)).toBe(text);
  });

  it('takes every scalar or list field of arbitrary rows as a column, name first, objects left out', () => {
    const rows = [
      { kind: 'vmta', name: 'mta1', sourceHosts: ['192.0.2.1'], queued: 3, limits: { a: 1 } },
      { kind: 'pool', name: 'pool1', members: ['mta1'], queued: 0 },
    ];
    expect(lib.columnsOf(rows)).toEqual(['name', 'kind', 'sourceHosts', 'queued', 'members']);
    expect(lib.columnsOf([{ a: 1 }])).toEqual(['a']);
  });

  const rows: Row[] = [
    { queue: 'b.example/mta1', mode: 'normal', queued: 5 },
    { queue: 'a.example/mta2', mode: 'paused', queued: 5 },
    { queue: 'c.example/mta1', mode: 'retry', queued: 9 },
  ];

  it.each([
    ['', ['b.example/mta1', 'a.example/mta2', 'c.example/mta1']],
    ['MTA1', ['b.example/mta1', 'c.example/mta1']],
    ['paused', ['a.example/mta2']],
    ['example mta1 retry', ['c.example/mta1']],
    ['nothing', []],
  ])('filters the queues by "%s"', (text, queues) => {
    expect(lib.filterQueues(rows, text).map((r) => r.queue)).toEqual(queues);
  });

  it('finds a rolled-up queue by its member domains', () => {
    const rolled: Row[] = [...rows, { queue: 'provider.rollup/mta1', mode: 'normal', queued: 1, members: ['d.example', 'e.example'] }];
    expect(lib.filterQueues(rolled, 'e.example').map((r) => r.queue)).toEqual(['provider.rollup/mta1']);
    expect(lib.filterQueues(rolled, 'rollup').map((r) => r.queue)).toEqual(['provider.rollup/mta1']);
  });

  it.each([
    ['queued', 'desc', ['c.example/mta1', 'a.example/mta2', 'b.example/mta1']],
    ['queued', 'asc', ['a.example/mta2', 'b.example/mta1', 'c.example/mta1']],
    ['queue', 'asc', ['a.example/mta2', 'b.example/mta1', 'c.example/mta1']],
    ['mode', 'desc', ['c.example/mta1', 'a.example/mta2', 'b.example/mta1']],
  ] as const)('sorts the queues by %s %s, ties by name, without touching the input', (key, dir, queues) => {
    const before = rows.map((r) => r.queue);
    expect(lib.sortQueues(rows, key, dir).map((r) => r.queue)).toEqual(queues);
    expect(rows.map((r) => r.queue)).toEqual(before);
  });

  it.each([
    [0, 1],
    [0.3, 1],
    [1, 1],
    [1.5, 2],
    [3, 5],
    [7, 10],
    [12, 20],
    [250, 500],
    [1000, 1000],
  ])('rounds the step %s up to the nice step %s', (v, step) => {
    expect(lib.niceStep(v)).toBe(step);
  });

  it.each([
    [0, { top: 1, step: 1, values: [0, 1] }],
    [3, { top: 3, step: 1, values: [0, 1, 2, 3] }],
    [17, { top: 20, step: 5, values: [0, 5, 10, 15, 20] }],
    [1234, { top: 1500, step: 500, values: [0, 500, 1000, 1500] }],
  ])('scales the Y axis for a maximum of %s', (max, scale) => {
    expect(lib.yScale(max, 4)).toEqual(scale);
  });

  it.each([
    [5, 1],
    [14, 2],
    [30, 5],
    [60, 10],
    [180, 30],
    [1440, 120],
  ])('labels a span of %s minutes every %s minutes', (span, step) => {
    expect(lib.minuteStep(span)).toBe(step);
  });

  it('maps an hour of history onto the plot box: oldest at the left, zero at the bottom, the maximum at the top', () => {
    const start = new Date(2025, 0, 1, 10, 0).getTime(); // 10:00 on the clock of the machine running the test
    const points = Array.from({ length: 61 }, (_, i) => ({
      t: new Date(start + i * 60_000).toISOString(),
      received: i === 60 ? 40 : 10,
      delivered: 8,
      bounced: 1,
      deferred: 0,
    }));
    const box = { width: 700, height: 300, left: 50, right: 50, top: 20, bottom: 80 };
    const m = lib.chartModel(points, box);
    expect(m.empty).toBe(false);
    expect(m.max).toBe(40);
    // Plot: x 50..650, y 20..220; Y axis 0..40 by 10.
    expect(m.yTicks.map((t) => [t.label, t.y])).toEqual([['0', 220], ['10', 170], ['20', 120], ['30', 70], ['40', 20]]);
    expect(m.lines.received!.startsWith('M50 170 L60 170 ')).toBe(true);
    expect(m.lines.received!.endsWith(' L650 20')).toBe(true);
    expect(m.lines.deferred!.split(' L')).toHaveLength(61);
    expect(m.lines.deferred!.endsWith('L650 220')).toBe(true);
    // Every 10 minutes, both ends included.
    expect(m.xTicks.map((t) => t.x)).toEqual([50, 150, 250, 350, 450, 550, 650]);
    expect(m.xTicks.map((t) => t.label)).toEqual(['10:00', '10:10', '10:20', '10:30', '10:40', '10:50', '11:00']);
  });

  it('draws nothing but axes for an empty history, and survives a single minute', () => {
    const box = { width: 100, height: 100, left: 0, right: 0, top: 0, bottom: 0 };
    const empty = lib.chartModel([], box);
    expect(empty).toMatchObject({ empty: true, max: 0, xTicks: [] });
    expect(empty.yTicks.map((t) => t.label)).toEqual(['0', '1']);
    const one = lib.chartModel([{ t: '2025-01-01T10:00:00Z', received: 2, delivered: 0, bounced: 0, deferred: 0 }], box);
    expect(one.lines.received).toBe('M0 0');
  });
});
