import { describe, expect, it } from 'vitest';
import { SuppressImportError } from '../errors.js';
import { parseSuppressImport } from './suppress-import.js';

describe('parseSuppressImport: a list', () => {
  it.each([
    ['one per line, comma or space separated', 'a@x.example\nB@Y.example, c@z.example d@w.example', ['a@x.example', 'b@y.example', 'c@z.example', 'd@w.example'], []],
    ['a quoted local part with a space or "@" (RFC 5321)', '"john smith"@example.net\n"a@b"@example.net, x@example.net', ['"john smith"@example.net', '"a@b"@example.net', 'x@example.net'], []],
    ['comments, a BOM and CRLF', '\uFEFF# a comment\r\na@x.example # why\r\nb@x.example\r\n', ['a@x.example', 'b@x.example'], []],
    ['rows of vmta suppress export without the header, the first field CSV-unquoted', 'a@x.example,manual,2026-01-01T00:00:00.000Z,,,\n"""q u""@x.example",refused,2026-01-01T00:00:00.000Z,,x.example/mta1,"550 5.1.1 no, such user"', ['a@x.example', '"q u"@x.example'], []],
    ['what is not an address, with its line', 'ok@x.example\nnobody "unclosed@x.example', ['ok@x.example'], [{ line: 2, message: '"nobody" is not an address' }, { line: 2, message: '"\\"unclosed@x.example" is not an address' }]],
  ])('%s', (_what, text, addresses, problems) => {
    expect(parseSuppressImport(text)).toEqual({ addresses, problems });
  });
});

describe('parseSuppressImport: a CSV file with a header row', () => {
  it('reads vmta suppress export back (address column, quoted fields with commas and quotes)', () => {
    const text = 'address,reason,added,expires,queue,reply\na@x.example,manual,2026-01-01T00:00:00.000Z,,,\n"""q u""@x.example",refused,2026-01-01T00:00:00.000Z,,x.example/mta1,"550 5.1.1 no, such user"\n';
    expect(parseSuppressImport(text)).toEqual({ addresses: ['a@x.example', '"q u"@x.example'], problems: [], column: 'address' });
  });

  it("reads another tool's export: BOM, CRLF, the address column by name wherever it is, a quoted field across lines", () => {
    const text = '\uFEFFcreated_at,"Email Address",reason\r\n2024-01-01,Bob@X.example,"bounced, hard"\r\n2024-01-02,c@x.example,"said ""stop""\r\non two lines"\r\n\r\n2024-01-03,d@x.example,spam\r\n';
    expect(parseSuppressImport(text)).toEqual({ addresses: ['bob@x.example', 'c@x.example', 'd@x.example'], problems: [], column: 'Email Address' });
  });

  it.each([['email'], ['E-mail'], ['recipient'], ['email_address'], ['RCPT']])('finds the column %j', (name) => {
    expect(parseSuppressImport(`id,${name}\n1,a@x.example\n`).addresses).toEqual(['a@x.example']);
  });

  it('names the line of each bad row and still reads the others', () => {
    const text = 'email,reason,created_at\na@x.example,manual,1\nnot-an-address,manual,2\n,manual,3\n"b@x.example",manual,4\nc@x.example,"never closed\n';
    expect(parseSuppressImport(text)).toEqual({
      addresses: ['a@x.example', 'b@x.example'],
      problems: [
        { line: 3, message: '"not-an-address" (column email) is not an address' },
        { line: 4, message: 'no address in column email' },
        { line: 6, message: 'a quoted field is not closed' },
      ],
      column: 'email',
    });
  });

  it('counts lines from the header, after comments and blank lines before it', () => {
    expect(parseSuppressImport('# from the ESP\n\nemail,reason\nx,y\n').problems).toEqual([{ line: 4, message: '"x" (column email) is not an address' }]);
  });

  it('refuses a header row without an address column, naming its line', () => {
    expect(() => parseSuppressImport('name,phone\nBob,123\n')).toThrow(SuppressImportError);
    expect(() => parseSuppressImport('name,phone\nBob,123\n')).toThrow('line 1: the header row (name,phone) has no address column: name one email, address or recipient');
  });
});
