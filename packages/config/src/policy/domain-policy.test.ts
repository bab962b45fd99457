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

  it('shares one merge between domains that matched the same stanzas, and keeps apart those that did not', () => {
    const config = loadConfigText(text(7));
    const a = domainPolicy(config, 'a.example', 'mta1');
    const b = domainPolicy(config, 'b.example', 'mta1');
    expect(b).toBe(a);
    expect(b.settings['max-smtp-out']).toBe(7);
    const slow = domainPolicy(config, 'slow.example', 'mta1');
    expect(slow).not.toBe(a);
    expect(slow.settings['max-smtp-out']).toBe(2);
    expect(slow.applied).toHaveLength(2);
    expect(a.applied).toHaveLength(1);
  });

  it('still gives a rolled-up name the hosts of its mx-rollup-list entry when another domain shares its stanzas', () => {
    const config = loadConfigText([text(7), '<mx-rollup-list>', '  mx mx.big.example big.rollup', '</mx-rollup-list>'].join('\n'));
    const plain = domainPolicy(config, 'plain.example', 'mta1');
    expect(plain.settings['smtp-hosts']).toBeUndefined();
    expect(domainPolicy(config, 'big.rollup', 'mta1').settings['smtp-hosts']).toBeDefined();
    expect(domainPolicy(config, 'other.example', 'mta1').settings['smtp-hosts']).toBeUndefined();
  });
});
