import { describe, expect, it } from 'vitest';
import { domainPolicy, loadConfigText } from '@vmta/config';
import { backoffUntil, deliveringVmta, effectivePolicy } from './backoff-policy.js';

const policyOf = (lines: string[]) => domainPolicy(loadConfigText(['<domain *>', ...lines, '</domain>'].join('\n')), 'x.test').settings;

describe('backoff policy', () => {
  it('replaces max-msg-rate, max-smtp-out and retry-after in backoff only', () => {
    const p = policyOf(['max-smtp-out 10', 'backoff-max-smtp-out 2', 'backoff-max-msg-rate 60/h', 'backoff-retry-after 30m']);
    expect(effectivePolicy(p, false)).toBe(p);
    const b = effectivePolicy(p, true);
    expect(b['max-smtp-out']).toBe(2);
    expect(b['max-msg-rate']).toEqual(p['backoff-max-msg-rate']);
    expect(b['retry-after']).toEqual(p['backoff-retry-after']);
  });

  it('replaces max-msg-per-connection with backoff-max-msg-per-connection in backoff', () => {
    const p = policyOf(['max-msg-per-connection 100', 'backoff-max-msg-per-connection 5']);
    expect(effectivePolicy(p, false)['max-msg-per-connection']).toBe(100);
    expect(effectivePolicy(p, true)['max-msg-per-connection']).toBe(5);
  });

  it('keeps the normal limits that have no backoff value', () => {
    const p = policyOf(['max-smtp-out 10']);
    expect(effectivePolicy(p, true)['max-smtp-out']).toBe(10);
    expect(effectivePolicy(p, true)['max-msg-rate']).toEqual(p['max-msg-rate']);
  });

  it('returns to normal after backoff-to-normal-after, never without it', () => {
    expect(backoffUntil(policyOf(['backoff-to-normal-after 1h']), 1_000)).toBe(1_000 + 3_600_000);
    expect(backoffUntil(policyOf([]), 1_000)).toBeUndefined();
  });

  it.each([
    // domain lines, in backoff, delivering VMTA
    [[], false, 'mta1'],
    [[], true, 'mta1'],
    [['backoff-reroute-to-virtual-mta mta2'], false, 'mta1'],
    [['backoff-reroute-to-virtual-mta mta2'], true, 'mta2'],
    [['reroute-to-virtual-mta mta3'], false, 'mta3'],
    [['reroute-to-virtual-mta mta3', 'backoff-reroute-to-virtual-mta mta2'], true, 'mta2'],
    [['reroute-to-virtual-mta mta3', 'backoff-reroute-to-virtual-mta mta2'], false, 'mta3'],
  ])('%j, backoff %s: through %s', (lines, inBackoff, via) => {
    const vmtas = ['mta2', 'mta3'].flatMap((n) => [`<virtual-mta ${n}>`, `smtp-source-host 127.0.0.${n.at(-1)} ${n}.test`, '</virtual-mta>']);
    const p = domainPolicy(loadConfigText([...vmtas, '<domain *>', ...lines, '</domain>'].join('\n')), 'x.test').settings;
    expect(deliveringVmta(p, 'mta1', inBackoff)).toBe(via);
  });
});
