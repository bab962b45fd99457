import { describe, expect, it } from 'vitest';
import { checkConfigText, formatDiagnostic, loadConfigText, parseHeaderPatternRule, parsePatternRule } from './index.js';

const VMTAS = '<virtual-mta mta1>\n</virtual-mta>\n<virtual-mta mta2>\n</virtual-mta>\n<virtual-mta-pool pool1>\n  virtual-mta mta1\n</virtual-mta-pool>\n';

function check(text: string): { errors: string[]; warnings: string[] } {
  const r = checkConfigText(VMTAS + text, 'vmta.conf');
  return { errors: r.errors.map(formatDiagnostic), warnings: r.warnings.map(formatDiagnostic) };
}

describe('<pattern-list> rules', () => {
  it.each([
    ['a regex and a VMTA', '/^billing@/ virtual-mta=mta2', { match: { kind: 'regex', regex: { source: '^billing@', flags: 'i' } }, actions: [{ action: 'virtual-mta', value: 'mta2' }] }],
    ['a case-sensitive regex', '/(?-i)^Bill/ virtual-mta=mta2', { match: { kind: 'regex', regex: { source: '^Bill', flags: '' } }, actions: [{ action: 'virtual-mta', value: 'mta2' }] }],
    ['an exact word', 'billing@example.com virtual-mta=mta2', { match: { kind: 'exact', text: 'billing@example.com' }, actions: [{ action: 'virtual-mta', value: 'mta2' }] }],
    [
      'several results, comma separated',
      '/special/ virtual-mta=students,recipient-priority=90',
      { match: { kind: 'regex', regex: { source: 'special', flags: 'i' } }, actions: [{ action: 'virtual-mta', value: 'students' }, { action: 'recipient-priority', value: 90 }] },
    ],
    ['call-to with a space after the colon (as the guide writes it)', '/abc123/ call-to: specialSelector1', { match: { kind: 'regex', regex: { source: 'abc123', flags: 'i' } }, actions: [{ action: 'call-to', value: 'specialSelector1' }] }],
  ])('parses %s', (_, raw, expected) => {
    expect(parsePatternRule(raw)).toEqual(expected);
  });

  it.each([
    ['no result', '/x/', 'no result given'],
    ['an unknown result', '/x/ queue=abc', 'unknown result "queue=abc"'],
    ['a priority out of range', '/x/ recipient-priority=101', 'recipient-priority must be a number from 0 to 100'],
    ['two VMTAs', '/x/ virtual-mta=a virtual-mta=b', 'virtual-mta is given twice'],
    ['call-to with a VMTA', '/x/ virtual-mta=a call-to:b', 'call-to and virtual-mta cannot be in one rule'],
    ['a bad regex', '/(/ virtual-mta=a', 'Unterminated group'],
    ['an inline nested list', '/newsletter/ <pattern-list>', 'use call-to:NAME'],
  ])('refuses %s', (_, raw, reason) => {
    expect(() => parsePatternRule(raw)).toThrow(reason);
  });

  it('reads the header name of a header rule, in lower case', () => {
    expect(parseHeaderPatternRule('X-Tenant /^\\s*acme\\s*$/ virtual-mta=mta2')).toMatchObject({ header: 'x-tenant', actions: [{ action: 'virtual-mta', value: 'mta2' }] });
    expect(() => parseHeaderPatternRule('/x/ virtual-mta=a')).toThrow('it must start with the header name');
  });
});

describe('<pattern-list> in the configuration', () => {
  it('keeps the rules of a list in the order written, whatever their directive, with file:line', () => {
    const config = loadConfigText(
      `${VMTAS}<pattern-list routes>\n  header x-tenant /acme/ virtual-mta=mta2\n  mail-from /^billing@/ virtual-mta=pool1\n  rcpt-to /@vip\\./ virtual-mta=mta1\n</pattern-list>\n<source 0/0>\n  pattern-list routes\n</source>\n`,
    );
    const rules = config.routingLists.routes!.rules;
    expect(rules.map((r) => [r.kind, r.origin.line])).toEqual([['header', 9], ['mail-from', 10], ['rcpt-to', 11]]);
    expect(config.sources[0]!.settings['pattern-list']).toBe('routes');
  });

  it('drops the rules of one kind written before a clearing ""', () => {
    const config = loadConfigText(`${VMTAS}<pattern-list p>\n  mail-from /a/ virtual-mta=mta1\n  header x-a /b/ virtual-mta=mta1\n  mail-from ""\n  mail-from /c/ virtual-mta=mta2\n</pattern-list>\n`);
    expect(config.routingLists.p!.rules.map((r) => [r.kind, r.origin.line])).toEqual([['header', 10], ['mail-from', 12]]);
  });

  it.each([
    ['an unknown VMTA in a rule', '<pattern-list p>\n  mail-from /x/ virtual-mta=nope\n</pattern-list>\n', 'vmta.conf:9: mail-from in <pattern-list p>: virtual-mta=nope names no <virtual-mta> or <virtual-mta-pool>'],
    ['call-to of an unknown list', '<pattern-list p>\n  header x-a /x/ call-to:other\n</pattern-list>\n', 'vmta.conf:9: header in <pattern-list p>: call-to:other names no <pattern-list>'],
    ['a source naming an unknown list', '<source 0/0>\n  pattern-list nope\n</source>\n', 'vmta.conf:9: pattern-list "nope" names no <pattern-list>'],
    ['a bad rule', '<pattern-list p>\n  rcpt-to /x/ frob\n</pattern-list>\n', 'vmta.conf:9: rcpt-to: "/x/ frob" is not a PATTERN-RULE'],
    ['an unknown directive in a list', '<pattern-list p>\n  helo /x/ virtual-mta=mta1\n</pattern-list>\n', 'vmta.conf:9: unknown directive "helo" in <pattern-list p>'],
    [
      'call-to going round in a circle',
      '<pattern-list a>\n  mail-from /x/ call-to:b\n</pattern-list>\n<pattern-list b>\n  mail-from /y/ call-to:a\n</pattern-list>\n',
      'vmta.conf:8: <pattern-list a> calls itself through call-to (a -> b -> a)',
    ],
  ])('refuses %s, naming file:line', (_, text, message) => {
    const { errors } = check(text);
    expect(errors.some((e) => e.startsWith(message))).toBe(true);
  });

  it('accepts recipient-priority without a warning (it is applied: @vmta/queue priority.ts)', () => {
    const { errors, warnings } = check('<pattern-list p>\n  rcpt-to /x/ recipient-priority=90\n</pattern-list>\n');
    expect([errors, warnings]).toEqual([[], []]);
  });

  it('accepts process-x-job, retain-x-job and jobid-header in a source without a warning', () => {
    const { errors, warnings } = check('<source 0/0>\n  process-x-job yes\n  retain-x-job no\n  jobid-header X-Campaign\n</source>\n');
    expect([errors, warnings]).toEqual([[], []]);
  });
});
