import { describe, expect, it } from 'vitest';
import { lingerForTrickle, mayLingerForTrickle, TRICKLE_WINDOW_MS, TrickleRuns } from './trickle-linger.js';

describe('mayLingerForTrickle', () => {
  it.each([
    { name: 'first run of a queue in this process', previousEnd: undefined, start: 10_000, lingering: 0, max: 4, wait: false },
    { name: 'previous run ended just before', previousEnd: 9_900, start: 10_000, lingering: 0, max: 4, wait: true },
    { name: 'previous run ended at the window edge', previousEnd: 10_000 - TRICKLE_WINDOW_MS, start: 10_000, lingering: 0, max: 4, wait: true },
    { name: 'previous run ended long before (one message per domain)', previousEnd: 10_000 - TRICKLE_WINDOW_MS - 1, start: 10_000, lingering: 0, max: 4, wait: false },
    { name: 'enough runs wait already', previousEnd: 9_900, start: 10_000, lingering: 4, max: 4, wait: false },
  ])('$name', ({ previousEnd, start, lingering, max, wait }) => {
    expect(mayLingerForTrickle(0, previousEnd, start, lingering, max)).toBe(wait);
  });
  it('only slot 0 waits: the other slots help with a backlog', () => {
    expect(mayLingerForTrickle(1, 9_900, 10_000, 0, 4)).toBe(false);
  });
});

describe('TrickleRuns', () => {
  it('remembers the last end of each queue', () => {
    const runs = new TrickleRuns(2);
    runs.ended('a/mta1', 5);
    runs.ended('a/mta1', 9);
    expect(runs.previousEnd('a/mta1')).toBe(9);
    expect(runs.previousEnd('b/mta1')).toBeUndefined();
  });
});

describe('lingerForTrickle', () => {
  function harness(runs: TrickleRuns | undefined, due?: number) {
    let clock = 10_000;
    const calls: string[] = [];
    const input = {
      deps: {
        trickle: runs,
        ops: {
          nextDue: async () => (calls.push('probe'), due !== undefined && clock >= due ? due : undefined),
          markAwake: async () => void calls.push('awake'),
        },
      },
      queue: 'a/mta1',
      slot: 0,
      runStartedAt: 10_000,
      now: () => (clock += 50),
      closeSessions: async () => void calls.push('close'),
    };
    return { input, calls };
  }

  it('does not wait without a recent run of the queue, and touches nothing', async () => {
    const h = harness(new TrickleRuns(4));
    expect(await lingerForTrickle(h.input)).toBe(false);
    expect(h.calls).toEqual([]);
  });

  it('closes the connections, marks the queue awake, then looks for mail; counts itself while it waits', async () => {
    const runs = new TrickleRuns(4);
    runs.ended('a/mta1', 9_500);
    const h = harness(runs, 10_300);
    expect(await lingerForTrickle(h.input)).toBe(true);
    expect(h.calls.slice(0, 3)).toEqual(['close', 'awake', 'probe']);
    expect(h.calls.filter((c) => c === 'probe').length).toBeGreaterThan(1);
    expect(runs.lingering).toBe(0);
  });
});
