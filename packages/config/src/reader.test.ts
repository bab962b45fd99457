import { describe, expect, it } from 'vitest';
import { continuesList, lexText, stripComment, type ReadEvent } from './reader.js';
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

describe('comments (§3.1: "#" to the end of the line)', () => {
  it.each<[string, string]>([
    ['<domain *>           # (*) is a wildcard', '<domain *>           '],
    ['smtp-listener 0/0:25 # all local IPs', 'smtp-listener 0/0:25 '],
    ['custom-dsn-from-header "Postmaster #1 <pm@x.example>" # note', 'custom-dsn-from-header "Postmaster #1 <pm@x.example>" '],
    ['<acct-file /var/log/pmta/acct#1.csv>', '<acct-file /var/log/pmta/acct'],
    // A piped accounting tag: its `#` belong to the command up to the tag's closing ">".
    ['<acct-file |/usr/bin/handler --tag "#1">', '<acct-file |/usr/bin/handler --tag "#1">'],
    ["<acct-file |/usr/bin/handler --tag '#1'>", "<acct-file |/usr/bin/handler --tag '#1'>"],
    ['<acct-file |/usr/bin/handler --tag #1>', '<acct-file |/usr/bin/handler --tag #1>'],
    ['<acct-file |/usr/bin/handler --tag=#1 > /tmp/out.csv> # keep it', '<acct-file |/usr/bin/handler --tag=#1 > /tmp/out.csv> '],
    ['<acct-file |/usr/bin/handler> # a comment with #2', '<acct-file |/usr/bin/handler> '],
  ])('%j', (line, kept) => {
    expect(stripComment(line)).toBe(kept);
  });

  it('loads a piped <acct-file> whose command holds a "#"', () => {
    const diagnostics: Diagnostic[] = [];
    const events = lexText("<acct-file |/usr/bin/handler --tag '#1'> # tagged\n  records d\n</acct-file>", 'f.conf', diagnostics);
    expect(diagnostics).toEqual([]);
    expect(events[0]).toMatchObject({ kind: 'open', name: 'acct-file', arg: "|/usr/bin/handler --tag '#1'" });
    expect(events.map((e) => e.kind)).toEqual(['open', 'directive', 'close']);
  });
});
