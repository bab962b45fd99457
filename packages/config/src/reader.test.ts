import { describe, expect, it } from 'vitest';
import { continuesList, lexText, type ReadEvent } from './reader.js';
import type { Diagnostic } from './errors.js';

describe('a list continued on the next line', () => {
  it.each<[string, string, boolean]>([
    ['HotmailTopLevel co.il, co.jp, com,', 'co.th, co.uk, de', true],
    ['AOLTopLevel co.il, co.jp, com,', 'co.uk', true],
    ['AOLTopLevel co.il, co.jp, com', 'co.uk, de', false],
    ['d,b,', 'record-fields d *', false],
    ['foo,', 'move-interval 5m', false],
    ['a,', '</domain>', false],
    ['a,', '<domain x.com>', false],
  ])('%j then %j: %s', (value, line, expected) => {
    expect(continuesList(value, line)).toBe(expected);
  });

  it('joins the lines into one directive that names its first line, and the next directive keeps its own line', () => {
    const text = ['domain-macro Hot co.il, co.jp, com, # comment', '', 'co.th, co.uk,', 'de', 'host-name a.example.com'].join('\n');
    const diagnostics: Diagnostic[] = [];
    const events = lexText(text, 'f.conf', diagnostics);
    expect(diagnostics).toEqual([]);
    expect(events.map((e: ReadEvent) => (e.kind === 'directive' ? [e.name, e.raw, e.origin.line, e.lastLine] : e.kind))).toEqual([
      ['domain-macro', 'Hot co.il, co.jp, com, co.th, co.uk, de', 1, 4],
      ['host-name', 'a.example.com', 5, undefined],
    ]);
  });
});
