import { loadConfigText } from '@vmta/config';
import { describe, expect, it } from 'vitest';
import { byRecipientDomain, rollupGone } from './unroll.js';

const withList = loadConfigText(['<mx-rollup-list>', '  mx mx1.provider.test provider.rollup', '</mx-rollup-list>'].join('\n'));
const without = loadConfigText('');

describe('rollupGone', () => {
  it.each([
    ['provider.rollup', without, undefined, true],
    ['Provider.Rollup', without, [], true],
    ['provider.rollup', withList, undefined, false],
    ['provider.rollup', without, ['relay.example'], false],
    ['a.example', without, undefined, false],
  ])('%s (list: %#) -> %s', (domain, config, hosts, want) => {
    expect(rollupGone(config, domain, hosts)).toBe(want);
  });
});

describe('byRecipientDomain', () => {
  const q = 'provider.rollup/mta1';
  const rcpt = (domain: string, queue = q, state = 'queued') => ({ domain, queue, state });
  it('groups ids by the domains of their queued recipients in the queue; ids with none ride with the first group', () => {
    const groups = byRecipientDomain(
      q,
      [
        { id: '1', recipients: [rcpt('a.example'), rcpt('b.example')] },
        { id: '2', recipients: [rcpt('b.example'), rcpt('a.example', q, 'delivered')] },
        { id: '3', recipients: [rcpt('c.example', 'c.example/mta1')] },
        undefined,
      ],
      ['1', '2', '3', '4'],
    );
    expect(Object.fromEntries(groups)).toEqual({ 'a.example': ['1', '3', '4'], 'b.example': ['1', '2'] });
  });
  it('puts ids without any recipient here in the group ""', () => {
    expect(Object.fromEntries(byRecipientDomain(q, [undefined], ['9']))).toEqual({ '': ['9'] });
  });
});
