import { describe, expect, it } from 'vitest';
import { inclusiveTimes, packageOf, summarizeProfiles, type CpuProfile } from './cpuprofile.js';

describe('cpuprofile self time', () => {
  it.each([
    ['file:///w/node_modules/.pnpm/ioredis@6.0.0/node_modules/ioredis/built/Redis.js', 'f', 'ioredis'],
    ['file:///w/node_modules/.pnpm/@types+x@1/node_modules/@scope/pkg/a.js', 'f', '@scope/pkg'],
    ['file:///w/packages/queue/dist/message-store.js', 'enqueue', '@vmta/queue'],
    ['node:zlib', 'processChunkSync', 'node (internal)'],
    ['', '(garbage collector)', '(garbage collector)'],
    ['', 'writeBuffer', '(native)'],
  ])('%s %s belongs to %s', (url, fn, pkg) => expect(packageOf(url, fn)).toBe(pkg));

  it('sums time deltas per function, leaves idle out of the percentages', () => {
    const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2, 3, 4] },
        { id: 2, callFrame: frame('(idle)') },
        { id: 3, callFrame: frame('enqueue', 'file:///w/packages/queue/dist/message-store.js', 19) },
        { id: 4, callFrame: frame('sendCommand', 'file:///w/node_modules/ioredis/built/Redis.js', 353) },
      ],
      samples: [2, 3, 4, 3, 2],
      timeDeltas: [1000, 300, 100, 300, 5000],
      startTime: 0,
      endTime: 6700,
    };
    const s = summarizeProfiles([profile, profile]);
    expect(s.idleMs).toBe(12);
    expect(s.busyMs).toBe(1.4);
    expect(s.functions).toEqual([
      { name: 'enqueue queue/dist/message-store.js:20', us: 1200, pct: (100 * 1200) / 1400 },
      { name: 'sendCommand ioredis/built/Redis.js:354', us: 200, pct: (100 * 200) / 1400 },
    ]);
    expect(s.packages.map((p) => p.name)).toEqual(['@vmta/queue', 'ioredis']);
  });

  it('counts a sample once for every distinct frame on its stack, a recursive frame once, idle left out', () => {
    const frame = (functionName: string, lineNumber = 0) => ({ functionName, url: 'file:///w/packages/listener/dist/a.js', lineNumber });
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: 0 }, children: [2, 3] },
        { id: 2, callFrame: { functionName: '(idle)', url: '', lineNumber: 0 } },
        { id: 3, callFrame: frame('onCommand'), children: [4, 5] },
        { id: 4, callFrame: frame('send', 9), children: [6] },
        { id: 5, callFrame: frame('handler', 4) },
        { id: 6, callFrame: frame('onCommand') },
      ],
      samples: [2, 3, 4, 5, 6],
      timeDeltas: [5000, 100, 200, 300, 400],
      startTime: 0,
      endTime: 6000,
    };
    const s = inclusiveTimes([profile]);
    expect(s.busyMs).toBe(1);
    expect(s.functions.map((f) => [f.name, f.us])).toEqual([
      ['onCommand listener/dist/a.js:1', 1000],
      ['send listener/dist/a.js:10', 600],
      ['handler listener/dist/a.js:5', 300],
    ]);
  });
});
