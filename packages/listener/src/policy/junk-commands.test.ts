import { describe, expect, it } from 'vitest';
import { isJunkCommand } from './junk-commands.js';

describe('isJunkCommand', () => {
  it.each([
    ['NOOP', true],
    ['noop', true],
    ['RSET', true],
    ['VRFY postmaster', true],
    ['EXPN list', true],
    ['HELP', true],
    ['ETRN example.com', true],
    ['  NOOP  ', true],
    ['MAIL FROM:<a@b.example>', false],
    ['RCPT TO:<a@b.example>', false],
    ['DATA', false],
    ['EHLO client.example', false],
    ['QUIT', false],
    ['NOOPS', false],
    ['', false],
    ['AGVsbG8=', false],
  ])('%j -> %s', (line, junk) => {
    expect(isJunkCommand(line)).toBe(junk);
  });
});
