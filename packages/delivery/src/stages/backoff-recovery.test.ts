import { describe, expect, it } from 'vitest';
import { domainPolicy, loadConfigText } from '@vmta/config';
import { recoveringPolicy, recoveryStep } from './backoff-recovery.js';

const policyOf = (lines: string[]) => domainPolicy(loadConfigText(['<domain *>', ...lines, '</domain>'].join('\n')), 'x.test').settings;
const MIN = 60_000;

describe('backoff recovery steps', () => {
  const p = policyOf(['max-msg-rate 100/m', 'max-smtp-out 10', 'backoff-max-msg-rate 10/m', 'backoff-max-smtp-out 1', 'backoff-recovery-steps 3', 'backoff-recovery-step-time 5m']);

  it.each([
    // since, now, step
    [undefined, 0, 0],
    [0, 0, 1],
    [0, 5 * MIN - 1, 1],
    [0, 5 * MIN, 2],
    [0, 14 * MIN, 3],
    [0, 15 * MIN, 0],
    [10 * MIN, 0, 1], // a clock behind the stamp stays on the first step
  ])('left backoff at %s, now %s: step %s', (since, now, step) => {
    expect(recoveryStep(p, since, now)).toBe(step);
  });

  it('no steps without backoff-recovery-steps', () => {
    expect(recoveryStep(policyOf(['backoff-max-msg-rate 10/m']), 0, 0)).toBe(0);
  });

  it.each([
    // step, rate per minute, connections
    [1, 20, 2],
    [2, 40, 4],
    [3, 80, 8],
  ])('step %s doubles the backoff limits: %s/min, %s connections', (step, perMin, out) => {
    const r = recoveringPolicy(p, step);
    expect(r['max-msg-rate']).toEqual({ count: perMin, perMs: MIN });
    expect(r['max-smtp-out']).toBe(out);
  });

  it('never goes above the normal limits', () => {
    const q = policyOf(['max-msg-rate 30/m', 'max-smtp-out 3', 'backoff-max-msg-rate 10/m', 'backoff-max-smtp-out 2', 'backoff-recovery-steps 3']);
    expect(recoveringPolicy(q, 2)['max-msg-rate']).toEqual(q['max-msg-rate']);
    expect(recoveringPolicy(q, 2)['max-smtp-out']).toBe(3);
  });

  it('steps up to an unlimited normal rate without a cap, and leaves limits with no backoff value normal', () => {
    const q = policyOf(['backoff-max-msg-rate 1/s', 'backoff-recovery-steps 2']);
    expect(recoveringPolicy(q, 2)['max-msg-rate']).toEqual({ count: 4, perMs: 1000 });
    expect(recoveringPolicy(q, 2)['max-smtp-out']).toBe(q['max-smtp-out']);
    expect(recoveringPolicy(q, 0)).toBe(q);
  });
});
