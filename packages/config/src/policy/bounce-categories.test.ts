import { describe, expect, it } from 'vitest';
import { checkConfigText } from '../load.js';
import { bounceCategoryPatternsOf } from './reply-patterns.js';
import { domainPolicy } from './domain-policy.js';

describe('<bounce-category-patterns>', () => {
  it('reads /REGEX/ CATEGORY lines in file order, the regex as written (spaces, case), each with file:line', () => {
    const text = ['<bounce-category-patterns>', '  /message +content/ content-related', '  /(?-i)Over Quota/ quota-issues  # a comment', '</bounce-category-patterns>'].join('\n');
    const r = checkConfigText(text);
    expect(r.errors).toEqual([]);
    expect(bounceCategoryPatternsOf(r.config!)).toEqual([
      { regex: { source: 'message +content', flags: 'i' }, category: 'content-related', rule: 'vmta.conf:2' },
      { regex: { source: 'Over Quota', flags: '' }, category: 'quota-issues', rule: 'vmta.conf:3' },
    ]);
  });

  it('merges several stanzas in file order; none when there is none', () => {
    const text = ['<bounce-category-patterns>', '/a/ other', '</bounce-category-patterns>', '<bounce-category-patterns>', '/b/ spam-related', '</bounce-category-patterns>'].join('\n');
    expect(bounceCategoryPatternsOf(checkConfigText(text).config!).map((p) => p.category)).toEqual(['other', 'spam-related']);
    expect(bounceCategoryPatternsOf(checkConfigText('').config!)).toEqual([]);
  });

  it('takes a custom category name (PowerMTA §10.8) with a warning, and leaves that line out', () => {
    const r = checkConfigText(['<bounce-category-patterns>', '/blocked/ my-blocks', '// other', '</bounce-category-patterns>'].join('\n'));
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([expect.objectContaining({ line: 2, message: expect.stringContaining('category "my-blocks" in <bounce-category-patterns>: custom category names are not supported yet') })]);
    expect(bounceCategoryPatternsOf(r.config!).map((p) => p.rule)).toEqual(['vmta.conf:3']);
  });

  it.each([
    ['/spam/ spam-relatd', 'unknown category "spam-relatd" (did you mean "spam-related"?)'],
    ['/ok/ sucess', 'unknown category "sucess" (did you mean "success"?)'],
    ['/spam/ junk!cat', 'unknown category "junk!cat"'],
    ['spam spam-related', 'must start with a /REGEX/'],
    ['/spam/', 'no category'],
  ])('refuses %s with file:line', (line, why) => {
    const r = checkConfigText(['<bounce-category-patterns>', line, '</bounce-category-patterns>'].join('\n'));
    expect(r.errors).toEqual([expect.objectContaining({ line: 2, message: expect.stringContaining(why) })]);
  });
});

describe('backoff-notify', () => {
  it('takes a comma separated list of addresses; an empty string clears it', () => {
    const r = checkConfigText(['<domain *>', 'backoff-notify ops@example.org, NOC@Example.org', '</domain>', '<domain x.test>', 'backoff-notify ""', '</domain>'].join('\n'));
    expect(r.errors).toEqual([]);
    expect(domainPolicy(r.config!, 'y.test').settings['backoff-notify']).toEqual(['ops@example.org', 'NOC@example.org']);
    expect(domainPolicy(r.config!, 'x.test').settings['backoff-notify'] ?? undefined).toBeUndefined();
  });

  it('refuses a list with a bad address', () => {
    const r = checkConfigText(['<domain *>', 'backoff-notify ops@example.org, nobody', '</domain>'].join('\n'));
    expect(r.errors).toEqual([expect.objectContaining({ line: 2, message: expect.stringContaining('backoff-notify') })]);
  });
});
