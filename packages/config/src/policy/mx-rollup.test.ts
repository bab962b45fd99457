import { describe, expect, it } from 'vitest';
import { checkConfigText, domainPolicy, formatDiagnostic, loadConfigText, lowestPreference, mayRollUp, mxRollupEntries, queueDomainFor, rollupFor, rollupHosts } from '../index.js';
import { parseMxRollup } from '../values/index.js';

const entry = (text: string) => parseMxRollup(text, text.split(/\s+/));

describe('rollupFor: lowest-preference MX hosts against <mx-rollup-list> entries', () => {
  const entries = [
    entry('mx1.hotmail.com hotmail.rollup'),
    entry('mx2.hotmail.com hotmail.rollup'),
    entry('*.yahoodns.net yahoo.rollup'),
    entry('aspmx.l.google.com google.rollup'),
  ];
  it.each([
    [['mx1.hotmail.com', 'mx2.hotmail.com'], 'hotmail.rollup'],
    [['MX2.Hotmail.com.', 'mx1.hotmail.com'], 'hotmail.rollup'],
    // Fewer lowest-preference MX hosts than the list names for that rollup: no rollup.
    [['mx1.hotmail.com'], undefined],
    // One host outside the rollup: no rollup.
    [['mx1.hotmail.com', 'mx2.hotmail.com', 'mx9.elsewhere.net'], undefined],
    [['mta5.am0.yahoodns.net', 'mta6.am0.yahoodns.net'], 'yahoo.rollup'],
    [['yahoodns.net'], undefined],
    [['aspmx.l.google.com'], 'google.rollup'],
    [[], undefined],
  ])('%j → %s', (hosts, expected) => {
    expect(rollupFor(entries, hosts)).toBe(expected);
  });

  it('takes the lowest preference only', () => {
    expect(lowestPreference([{ exchange: 'b', preference: 20 }, { exchange: 'a', preference: 10 }, { exchange: 'c', preference: 10 }])).toEqual(['a', 'c']);
  });

  it.each([
    ['an MX answer: its lowest preference', [{ exchange: 'mx2.x.test', preference: 20 }, { exchange: 'mx1.x.test', preference: 10 }], ['mx1.x.test']],
    ['no MX: the domain itself, its implicit MX (RFC 5321 §5.1)', 'no-mx' as const, ['mail.x.test']],
  ])('decides the rollup of mail.x.test on %s', (_what, mx, hosts) => {
    expect(rollupHosts('mail.x.test', mx)).toEqual(hosts);
  });

  it('rolls up a domain without MX whose own name matches an entry', () => {
    expect(rollupFor(entries, rollupHosts('mx1.hotmail.com', 'no-mx'))).toBe(undefined);
    expect(rollupFor(entries, rollupHosts('aspmx.l.google.com', 'no-mx'))).toBe('google.rollup');
  });
});

describe('parseMxRollup', () => {
  it.each([['mx1.example.com'], ['mx1.example.com example'], ['*.*.x example.rollup'], ['a b c.rollup']])('refuses %j', (text) => {
    expect(() => entry(text)).toThrow();
  });
});

describe('queueDomainFor', () => {
  const config = loadConfigText(
    [
      '<mx-rollup-list>',
      '  mx mx1.provider.test provider.rollup',
      '  mx *.wild.test wild.rollup',
      '</mx-rollup-list>',
      '<domain provider.rollup>',
      '  max-smtp-out 3',
      '</domain>',
      '<domain alias.example>',
      '  queue-to target.example',
      '</domain>',
      '<domain apart.example>',
      '  disable-mx-rollup yes',
      '</domain>',
    ].join('\n'),
  );
  it.each([
    ['plain.example', undefined, 'plain.example'],
    ['plain.example', 'provider.rollup', 'provider.rollup'],
    // queue-to is static; the target's own rollup (its recorded decision) applies to it.
    ['alias.example', undefined, 'target.example'],
    ['alias.example', 'provider.rollup', 'provider.rollup'],
    ['apart.example', 'provider.rollup', 'apart.example'],
    // A rollup name the config no longer lists, or one without a route (wildcard only, no smtp-hosts).
    ['plain.example', 'gone.rollup', 'plain.example'],
    ['plain.example', 'wild.rollup', 'plain.example'],
  ])('%s (recorded rollup %s) → %s', (domain, rolled, expected) => {
    expect(queueDomainFor(config, domain, 'mta1', rolled)).toBe(expected);
  });

  it('routes a rolled-up queue to the exact hosts of its entries and keeps its own settings', () => {
    const policy = domainPolicy(config, 'provider.rollup').settings;
    expect(policy['smtp-hosts']).toEqual([[{ kind: 'host', host: 'mx1.provider.test' }]]);
    expect(policy['max-smtp-out']).toBe(3);
    expect(domainPolicy(config, 'wild.rollup').settings['smtp-hosts']).toBeUndefined();
  });

  it('never rolls up a rollup queue, a queue-to domain or a disabled one', () => {
    expect(mxRollupEntries(config)).toHaveLength(2);
    expect(mayRollUp(config, 'plain.example')).toBe(true);
    expect(mayRollUp(config, 'provider.rollup')).toBe(false);
    expect(mayRollUp(config, 'alias.example')).toBe(false);
    expect(mayRollUp(config, 'apart.example')).toBe(false);
  });
});

describe('vmta check on <mx-rollup-list>', () => {
  it('warns with file:line about a wildcard-only rollup without smtp-hosts, not about routable ones', () => {
    const r = checkConfigText(
      ['<mx-rollup-list>', '  mx *.yahoodns.net yahoo.rollup', '  mx *.other.test other.rollup', '  mx mx1.x.test x.rollup', '</mx-rollup-list>', '<domain other.rollup>', '  smtp-hosts lookup-mx:other.test', '</domain>'].join('\n'),
      'pmta.conf',
    );
    expect(r.errors).toEqual([]);
    expect(r.warnings.map(formatDiagnostic)).toEqual([
      'pmta.conf:2: warning: mx *.yahoodns.net yahoo.rollup: yahoo.rollup lists only wildcard hosts and <domain yahoo.rollup> has no smtp-hosts; no domain is rolled up into it',
    ]);
  });

  it('refuses a bad entry with file:line and the directive', () => {
    const r = checkConfigText(['<mx-rollup-list>', '  mx mx1.x.test notarollup', '</mx-rollup-list>'].join('\n'), 'pmta.conf');
    expect(r.errors.map(formatDiagnostic).join('\n')).toMatch(/^pmta\.conf:2: .*mx.*notarollup.*\.rollup/);
  });
});
