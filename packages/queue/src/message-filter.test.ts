import { describe, expect, it } from 'vitest';
import { FilterPatternError } from './errors.js';
import { addressMatcher, compileFilter } from './message-filter.js';

describe('message filters of operator deletes', () => {
  it.each([
    ['a@x.test', 'A@X.test', true],
    ['a@x.test', 'a@x.test.evil', false],
    ['a@x.test', 'b@x.test', false],
    ['/@x\\.test$/', 'anyone@x.test', true],
    ['/@x\\.test$/', 'anyone@X.TEST', false],
    ['/@x\\.test$/i', 'anyone@X.TEST', true],
    ['/^bounce-/', 'bounce-1@y.test', true],
    ['/^bounce-/', 'no-bounce-1@y.test', false],
  ])('%s matches %s: %s', (pattern, address, expected) => {
    expect(addressMatcher(pattern)(address)).toBe(expected);
  });

  it('refuses a bad regular expression with a stable code', () => {
    expect(() => addressMatcher('/(/')).toThrow(FilterPatternError);
    expect(() => compileFilter({ rcpt: '/[/' })).toThrow(expect.objectContaining({ code: 'FILTER_PATTERN_INVALID' }));
  });

  it.each([
    [{}, { mailFrom: 's@a.test', receivedAt: 5 }, true],
    [{ job: 'j1' }, { mailFrom: 's@a.test', job: 'j1', receivedAt: 5 }, true],
    [{ job: 'j1' }, { mailFrom: 's@a.test', job: 'j2', receivedAt: 5 }, false],
    [{ job: 'j1' }, { mailFrom: 's@a.test', receivedAt: 5 }, false],
    [{ orig: 's@a.test', receivedBefore: 5 }, { mailFrom: 'S@A.test', receivedAt: 5 }, true],
    [{ orig: 's@a.test', receivedBefore: 4 }, { mailFrom: 's@a.test', receivedAt: 5 }, false],
    [{ orig: '/@b\\.test$/' }, { mailFrom: 's@a.test', receivedAt: 5 }, false],
  ])('filter %j names %j: %s', (filter, envelope, expected) => {
    expect(compileFilter(filter).message(envelope)).toBe(expected);
  });

  it('names recipients only when --rcpt is given', () => {
    expect(compileFilter({}).recipient('any@x.test')).toBe(true);
    expect(compileFilter({}).byRecipient).toBe(false);
    const f = compileFilter({ rcpt: 'one@x.test' });
    expect([f.recipient('one@x.test'), f.recipient('two@x.test'), f.byRecipient]).toEqual([true, false, true]);
  });
});
