import { describe, expect, it } from 'vitest';
import { lingerForMail } from './linger.js';

/** A fake clock: sleeping advances it; `due` says when mail shows up. */
function harness(opts: { due?: number; sessionUntil?: number; stopAt?: number }) {
  let clock = 0;
  const probes: number[] = [];
  return {
    probes,
    run: (idleMs: number) =>
      lingerForMail({
        ops: { nextDue: async () => (probes.push(clock), opts.due) },
        queue: 'q.example/mta1',
        idleMs,
        now: () => clock,
        hasSession: () => clock < (opts.sessionUntil ?? Infinity),
        stopping: () => clock >= (opts.stopAt ?? Infinity),
        sleep: async (ms) => {
          clock += ms;
        },
      }),
    clock: () => clock,
  };
}

describe('lingerForMail', () => {
  it.each([
    { name: 'mail arrives within the idle timeout', opts: { due: 1_000 }, idleMs: 5_000, more: true, endsBy: 1_250 },
    { name: 'nothing arrives: gives up at the idle timeout', opts: {}, idleMs: 2_000, more: false, endsBy: 2_000 },
    { name: 'mail due after the idle timeout is not waited for', opts: { due: 9_000 }, idleMs: 2_000, more: false, endsBy: 2_000 },
    { name: 'the remote closed the session', opts: { sessionUntil: 500 }, idleMs: 5_000, more: false, endsBy: 500 },
    { name: 'the process is stopping', opts: { stopAt: 750 }, idleMs: 5_000, more: false, endsBy: 750 },
    { name: 'mail already due', opts: { due: 0 }, idleMs: 5_000, more: true, endsBy: 0 },
  ])('$name', async ({ opts, idleMs, more, endsBy }) => {
    const h = harness(opts);
    expect(await h.run(idleMs)).toBe(more);
    expect(h.clock()).toBeLessThanOrEqual(endsBy);
  });

  it('probes at a bounded rate, not in a tight loop', async () => {
    const h = harness({});
    await h.run(10_000);
    expect(h.probes.length).toBeLessThanOrEqual(41);
    expect(h.probes.length).toBeGreaterThan(1);
  });
});
