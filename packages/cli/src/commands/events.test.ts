import { describe, expect, it } from 'vitest';
import { nothingShownReason } from './events.js';

const empty = { key: 'vmta:acct', length: 0 };
const full = { key: 'vmta:acct', length: 3, lastId: '1000-0' };

describe('nothingShownReason', () => {
  it.each([
    ['an empty stream the configuration does not write', empty, {}, { file: 'vmta.conf', writes: false }, 'no events yet: the stream vmta:acct is empty; vmta.conf writes none (records are written only when an <acct-file>, a <webhook> or event-stream yes reads them)'],
    ['an empty stream the configuration writes', empty, {}, { file: 'vmta.conf', writes: true }, 'no events yet: the stream vmta:acct is empty; vmta.conf writes it as mail is received and delivered'],
    ['an empty stream, configuration unreadable', empty, {}, { file: 'x.conf' }, 'no events yet: the stream vmta:acct is empty; records are written only when an <acct-file>, a <webhook> or event-stream yes reads them; x.conf could not be read to tell'],
    ['--from past the last entry', full, { from: '2000' }, { file: 'vmta.conf', writes: true }, 'no event from 2000 on in vmta:acct (the last of its 3 entries is 1000-0, 1970-01-01T00:00:01.000Z)'],
    ['a type no recent entry has', full, { types: ['f'] }, { file: 'vmta.conf', writes: true }, 'no event of type f among the last 20 entries of vmta:acct (the last of its 3 entries is 1000-0, 1970-01-01T00:00:01.000Z); more with --count or --from'],
  ])('%s', (_what, state, asked, config, want) => {
    expect(nothingShownReason(state, { count: 20, ...asked }, config)).toBe(want);
  });
});
