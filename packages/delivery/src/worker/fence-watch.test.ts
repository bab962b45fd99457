import { FENCE_AFTER_MS, FENCE_CHECK_MS } from '@vmta/queue';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { watchFence } from './slot-hold.js';

describe('watchFence: the runs of a process share one timer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fences every watching run once the heartbeat is stale, and stops its timer with the last run', () => {
    vi.useFakeTimers();
    let beat = Date.now();
    const process = { processId: 'p1', lastBeatAt: () => beat };
    const fenced: string[] = [];
    const before = vi.getTimerCount();
    const stopA = watchFence(process, Date.now, () => fenced.push('a'));
    const stopB = watchFence(process, Date.now, () => fenced.push('b'));
    expect(vi.getTimerCount()).toBe(before + 1);
    vi.advanceTimersByTime(FENCE_CHECK_MS);
    expect(fenced).toEqual([]);
    beat = Date.now() - FENCE_AFTER_MS;
    vi.advanceTimersByTime(FENCE_CHECK_MS);
    expect(fenced.sort()).toEqual(['a', 'b']);
    stopA();
    fenced.length = 0;
    vi.advanceTimersByTime(FENCE_CHECK_MS);
    expect(fenced).toEqual(['b']);
    stopB();
    expect(vi.getTimerCount()).toBe(before);
    // A later run starts a timer again.
    const stopC = watchFence(process, Date.now, () => fenced.push('c'));
    expect(vi.getTimerCount()).toBe(before + 1);
    stopC();
    expect(vi.getTimerCount()).toBe(before);
  });

  it('keeps fencing the other runs when one fence throws', () => {
    vi.useFakeTimers();
    const process = { processId: 'p2', lastBeatAt: () => Date.now() - FENCE_AFTER_MS };
    const fenced: string[] = [];
    const stopA = watchFence(process, Date.now, () => {
      throw new Error('boom');
    });
    const stopB = watchFence(process, Date.now, () => fenced.push('b'));
    vi.advanceTimersByTime(FENCE_CHECK_MS);
    expect(fenced).toEqual(['b']);
    stopA();
    stopB();
  });
});
