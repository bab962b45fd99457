import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../load.js';
import { domainPolicy } from './domain-policy.js';

const text = (maxSmtpOut: number) =>
  ['<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 mta1.example.test', '  <domain slow.example>', '    max-smtp-out 2', '  </domain>', '</virtual-mta>', '<domain *>', `  max-smtp-out ${maxSmtpOut}`, '</domain>'].join('\n');

describe('domainPolicy, computed once per config', () => {
  it('answers the same object for the same config, domain and VMTA, and its layers as before', () => {
    const config = loadConfigText(text(7));
    const first = domainPolicy(config, 'slow.example', 'mta1');
    expect(domainPolicy(config, 'slow.example', 'mta1')).toBe(first);
    expect(first.settings['max-smtp-out']).toBe(2);
    // Another VMTA (none: the top level only) or domain is its own entry.
    expect(domainPolicy(config, 'slow.example').settings['max-smtp-out']).toBe(7);
    expect(domainPolicy(config, 'other.example', 'mta1').settings['max-smtp-out']).toBe(7);
    expect(domainPolicy(config, 'slow.example', 'mta1')).toBe(first);
  });

  it('answers anew for a new config object (a reload)', () => {
    const before = loadConfigText(text(7));
    const after = loadConfigText(text(9));
    expect(domainPolicy(before, 'x.example', 'mta1').settings['max-smtp-out']).toBe(7);
    expect(domainPolicy(after, 'x.example', 'mta1').settings['max-smtp-out']).toBe(9);
    expect(domainPolicy(before, 'x.example', 'mta1').settings['max-smtp-out']).toBe(7);
  });
});
