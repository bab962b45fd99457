import { describe, expect, it } from 'vitest';
import { parseAddressFile } from './address-lists.js';

describe('parseAddressFile', () => {
  it('reads one entry a line: addresses, local parts, /regex/, @domain; skips blanks, comments and bad lines', () => {
    const bad: Array<[number, string]> = [];
    const text = '# header\r\nA@Example.com\n\nlocal   # trailing comment\n/^x#y@/\n@Blocked.example\nnot an entry\nb@\n';
    const { entries, domains } = parseAddressFile(text, (line, content) => bad.push([line, content]));
    expect(entries).toEqual([
      { kind: 'address', address: 'a@example.com' },
      { kind: 'local', local: 'local' },
      { kind: 'regex', regex: { source: '^x#y@', flags: 'i' } },
    ]);
    expect(domains).toEqual(['blocked.example']);
    expect(bad).toEqual([[7, 'not an entry'], [8, 'b@']]);
  });
});
