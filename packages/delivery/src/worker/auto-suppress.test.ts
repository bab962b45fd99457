import { loadConfigText } from '@vmta/config';
import type { RecipientRecord } from '@vmta/queue';
import { describe, expect, it } from 'vitest';
import { autoSuppressions } from './auto-suppress.js';
import type { RecipientOutcome } from './outcomes.js';

const rcpt = (address: string): RecipientRecord => ({ address, domain: address.split('@')[1]!, queue: 'x.example/mta1', state: 'queued', attempts: 0 }) as RecipientRecord;
const result = (outcome: RecipientOutcome['outcome'], category: RecipientOutcome['category'], code = 550): RecipientOutcome => ({ outcome, code, response: `${code} reply`, category });

describe('autoSuppressions', () => {
  const results = [
    { recipient: rcpt('a@x.example'), result: result('bounced', 'bad-mailbox') },
    { recipient: rcpt('b@x.example'), result: result('bounced', 'bad-domain') },
    { recipient: rcpt('c@x.example'), result: result('bounced', 'spam-related') },
    { recipient: rcpt('d@x.example'), result: result('deferred', 'bad-mailbox', 450) },
    { recipient: rcpt('e@x.example'), result: result('delivered', 'other', 250) },
  ];
  it.each([
    ['', ['a@x.example', 'b@x.example'], 0],
    ['auto-suppress-categories bad-mailbox,spam-related\nauto-suppress-expire bad-mailbox 7d', ['a@x.example', 'c@x.example'], 7 * 86_400_000],
    ['auto-suppress no', [], 0],
  ])('with %j: suppresses %j', (text, addresses, ttl) => {
    const out = autoSuppressions(loadConfigText(text), 'x.example/mta1', results);
    expect(out.map((s) => s.address)).toEqual(addresses);
    if (out[0]) expect(out[0]).toEqual({ address: addresses[0], reason: out[0].reason, ttlMs: ttl, queue: 'x.example/mta1', reply: '550 reply' });
  });
});
