import { describe, expect, it } from 'vitest';
import { parseSuppressAddresses } from './suppress.js';

describe('parseSuppressAddresses', () => {
  it.each([
    ['one per line, comma or space separated', 'a@x.example\nB@Y.example, c@z.example d@w.example', ['a@x.example', 'b@y.example', 'c@z.example', 'd@w.example'], []],
    ['a quoted local part with a space or "@" (RFC 5321)', '"john smith"@example.net\n"a@b"@example.net, x@example.net', ['"john smith"@example.net', '"a@b"@example.net', 'x@example.net'], []],
    ['comments and the export header', 'address,reason,added,expires,queue,reply\n# a comment\na@x.example # why', ['a@x.example'], []],
    ['rows of vmta suppress export, the first field CSV-unquoted', 'a@x.example,manual,2026-01-01T00:00:00.000Z,,,\n"""q u""@x.example",refused,2026-01-01T00:00:00.000Z,,x.example/mta1,"550 5.1.1 no, such user"', ['a@x.example', '"q u"@x.example'], []],
    ['what is not an address', 'nobody "unclosed@x.example', [], ['nobody', '"unclosed@x.example']],
  ])('%s', (_what, text, addresses, invalid) => {
    expect(parseSuppressAddresses(text)).toEqual({ addresses, invalid });
  });
});
