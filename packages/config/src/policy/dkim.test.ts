import { describe, expect, it } from 'vitest';
import { chooseDkimKeys, type DkimKeyCandidate } from './dkim.js';
import type { DkimIdentity } from '../values/index.js';

const keys: DkimKeyCandidate[] = [
  { selector: 'vmta-rsa', domain: 'mail.example.com', kind: 'rsa' },
  { selector: 'vmta-ed', domain: 'example.com', kind: 'ed25519' },
  { selector: 'rsa', domain: 'example.com', kind: 'rsa' },
  { selector: 'any', domain: '*', kind: 'rsa' },
];
const SOF: DkimIdentity = { kind: 'sender-or-from' };

describe('chooseDkimKeys: first matching key wins (VMTA, pool, global; file order), plus the first of the other kind', () => {
  it.each<[string, { sender?: string; from?: string }, DkimIdentity, Array<[string, string]>]>([
    ['From equals a key domain', { from: 'mail.example.com' }, SOF, [['vmta-rsa', 'mail.example.com'], ['vmta-ed', 'example.com']]],
    ['From under a parent key domain', { from: 'news.example.com' }, SOF, [['vmta-ed', 'example.com'], ['rsa', 'example.com']]],
    ['Sender before From', { sender: 'other.org', from: 'example.com' }, SOF, [['any', 'other.org']]],
    ['a * key signs any domain as that domain', { from: 'other.org' }, SOF, [['any', 'other.org']]],
    ['a look-alike domain is not a subdomain', { from: 'notexample.com' }, SOF, [['any', 'notexample.com']]],
    ['strict-from: From only, exact domain', { sender: 'mail.example.com', from: 'news.example.com' }, { kind: 'strict-from' }, [['any', 'news.example.com']]],
    ['identity: its domain picks the key, i= is set', { from: 'customer.test' }, { kind: 'identity', identity: '@mail.example.com', domain: 'mail.example.com' }, [['vmta-rsa', 'mail.example.com'], ['vmta-ed', 'example.com']]],
    ['no From or Sender: unsigned', {}, SOF, []],
  ])('%s', (_what, headers, identity, expected) => {
    expect(chooseDkimKeys(keys, headers, identity).map((c) => [c.key.selector, c.signingDomain])).toEqual(expected);
  });

  it('leaves mail unsigned when no key matches', () => {
    expect(chooseDkimKeys(keys.slice(0, 3), { from: 'other.org' }, SOF)).toEqual([]);
  });
});
