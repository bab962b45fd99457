import { describe, expect, it } from 'vitest';
import { ValueError } from './errors.js';
import { tokenize } from './tokenize.js';

describe('tokenize', () => {
  it.each<[string, string[]]>([
    ['one', ['one']],
    ['a b\tc', ['a', 'b', 'c']],
    ['  leading and trailing  ', ['leading', 'and', 'trailing']],
    ['"two words" next', ['two words', 'next']],
    ['file.pem "pass word"', ['file.pem', 'pass word']],
    ['"say \\"hi\\""', ['say "hi"']],
    ['"back\\\\slash"', ['back\\slash']],
    ['"keep \\d as is"', ['keep \\d as is']],
    ['/^5\\d\\d/ mode=backoff', ['/^5\\d\\d/', 'mode=backoff']],
    ['abc"def ghi"', ['abcdef ghi']],
    ['""', ['']],
    ['a "" b', ['a', '', 'b']],
    ['', []],
  ])('splits %j into %j', (raw, words) => {
    expect(tokenize(raw)).toEqual(words);
  });

  it.each(['"open', 'a "b c', '"escaped end\\"'])('rejects the unterminated quote in %j', (raw) => {
    expect(() => tokenize(raw)).toThrow(ValueError);
    expect(() => tokenize(raw)).toThrow(`unterminated "quoted string" in: ${raw}`);
  });
});
