import { describe, expect, it } from 'vitest';
import { expandDomainMacros, parseDomainMacro, resolveDomainMacros, usesDomainMacro, type DomainMacro } from './domain-macro.js';
import { ValueError } from './errors.js';

const m = (name: string, ...items: string[]): DomainMacro => ({ name, items });

describe('domain-macro NAME DOMAIN-LIST', () => {
  it.each<[string, DomainMacro]>([
    ['topLevel com, de, co.uk', m('topLevel', 'com', 'de', 'co.uk')],
    ['rollupDomains yahoo.com,gmail.com,hotmail.com', m('rollupDomains', 'yahoo.com', 'gmail.com', 'hotmail.com')],
    ['tld .com,.co.uk,.co.in', m('tld', '.com', '.co.uk', '.co.in')],
    ['tld $com, org, net', m('tld', '$com', 'org', 'net')],
    // a list continued on the next line reaches here joined by a space (reader.ts)
    ['Hotmail co.il, com.tr, co.th, co.uk, de', m('Hotmail', 'co.il', 'com.tr', 'co.th', 'co.uk', 'de')],
    ['a_1 com', m('a_1', 'com')],
  ])('parses %j', (raw, expected) => {
    expect(parseDomainMacro(raw)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['top-level com', 'a macro name holds letters, digits and _ only'],
    ['$x com', 'a macro name holds letters, digits and _ only'],
    ['topLevel', 'no domains given for topLevel'],
    ['topLevel ,', 'no domains given for topLevel'],
    ['topLevel com, <de>', '"<de>" is not a domain or part of one'],
    ['topLevel com, a/b', '"a/b" is not a domain or part of one'],
  ])('refuses %j', (raw, why) => {
    expect(() => parseDomainMacro(raw)).toThrow(ValueError);
    expect(() => parseDomainMacro(raw)).toThrow(why);
  });
});

describe('resolveDomainMacros', () => {
  it('expands macros within macros (PowerMTA §3.3.10: tld expands to com, co.uk, com.br, org and net)', () => {
    const r = resolveDomainMacros([m('com', 'com', 'co.uk', 'com.br'), m('tld', '$com', 'org', 'net')]);
    expect(r.problems).toEqual([]);
    expect(r.values.get('tld')).toEqual(['com', 'co.uk', 'com.br', 'org', 'net']);
  });

  it('takes a macro used before its definition, finds names without regard to case and drops duplicates', () => {
    const r = resolveDomainMacros([m('all', '$COM', 'com'), m('com', 'com', 'de')]);
    expect(r.problems).toEqual([]);
    expect(r.values.get('all')).toEqual(['com', 'de']);
  });

  it.each<[string, DomainMacro[], { index: number; message: RegExp }[]]>([
    [
      'a loop',
      [m('a', '$b'), m('b', '$a')],
      [
        { index: 1, message: /the macros form a loop \(a -> b -> a\)/ },
        { index: 0, message: /\$b could not be expanded/ },
      ],
    ],
    ['a macro using itself', [m('a', 'com', '$a')], [{ index: 0, message: /loop \(a -> a\)/ }]],
    ['an undefined macro', [m('a', '$nope')], [{ index: 0, message: /uses \$nope, which no domain-macro defines/ }]],
    ['a name defined twice', [m('a', 'com'), m('A', 'de')], [{ index: 1, message: /defined twice/ }]],
  ])('reports %s at the definition that has it', (_what, defs, problems) => {
    const r = resolveDomainMacros(defs);
    expect(r.problems).toEqual(problems.map((p) => ({ index: p.index, message: expect.stringMatching(p.message) })));
  });
});

describe('expandDomainMacros', () => {
  const macros = new Map([
    ['toplevel', ['com', 'de', 'co.uk']],
    ['tld', ['.com', '.net']],
    ['brand', ['aol', 'aim']],
  ]);
  it.each<[string, string[]]>([
    ['yahoo.$topLevel', ['yahoo.com', 'yahoo.de', 'yahoo.co.uk']],
    ['yahoo$tld', ['yahoo.com', 'yahoo.net']],
    ['$brand.$TOPLEVEL', ['aol.com', 'aol.de', 'aol.co.uk', 'aim.com', 'aim.de', 'aim.co.uk']],
    ['[*.]mail.$brand.com', ['[*.]mail.aol.com', '[*.]mail.aim.com']],
    ['example.com', ['example.com']],
  ])('expands %j', (text, expected) => {
    expect(expandDomainMacros(text, macros)).toEqual(expected);
  });

  it('names an undefined macro', () => {
    expect(() => expandDomainMacros('aol.$AOLTopLevel', macros)).toThrow('"aol.$AOLTopLevel" uses $AOLTopLevel, which no domain-macro defines');
  });

  it.each<[string, boolean]>([
    ['aol.$x', true],
    ['aol.com', false],
    ['{gmImprinter}', false],
    ['price$', false],
  ])('usesDomainMacro(%j) is %s', (text, expected) => {
    expect(usesDomainMacro(text)).toBe(expected);
  });
});
