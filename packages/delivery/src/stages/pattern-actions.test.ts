import { describe, expect, it } from 'vitest';
import type { ReplyAction } from '@vmta/config';
import { bounceQueueOutcome, queueActionsOf, recipientPatternOutcome, type PatternHit } from './pattern-actions.js';
import type { RecipientOutcome } from '../worker/outcomes.js';

const hit = (code: number, phase: PatternHit['phase'], ...actions: ReplyAction[]): PatternHit => ({ code, response: `${code} x`, phase, actions, rule: 'p.conf:3' });
const result = (code: number): RecipientOutcome => ({ outcome: code < 300 ? 'delivered' : code < 500 ? 'deferred' : 'bounced', code, response: `${code} x`, category: 'other' });

describe('pattern actions on a recipient', () => {
  it.each<[string, number, PatternHit | undefined, RecipientOutcome['outcome'], boolean]>([
    ['no rule: the reply decides', 452, undefined, 'deferred', false],
    ['bounce-rcpt bounces a 4xx to RCPT', 452, hit(452, 'rcpt', { action: 'bounce-rcpt' }), 'bounced', false],
    ['bounce-rcpt leaves a 4xx to DATA alone', 452, hit(452, 'dot', { action: 'bounce-rcpt' }), 'deferred', false],
    ['bounce-rcpt leaves a 2xx alone', 250, hit(250, 'rcpt', { action: 'bounce-rcpt' }), 'delivered', false],
    ['skip-mx keeps a 5xx queued for the next MX', 550, hit(550, 'rcpt', { action: 'skip-mx' }), 'deferred', true],
    ['mode=backoff leaves the outcome alone', 421, hit(421, 'rcpt', { action: 'mode', value: 'backoff' }), 'deferred', false],
  ])('%s', (_name, code, h, outcome, skipMx) => {
    const out = recipientPatternOutcome(result(code), h);
    expect([out.result.outcome, out.skipMx]).toEqual([outcome, skipMx]);
    expect(out.result.replyPattern).toBe(h?.rule);
  });
});

describe('pattern actions on the queue', () => {
  it('takes the first hit of each kind', () => {
    const a = hit(421, 'rcpt', { action: 'mode', value: 'backoff' });
    const b = hit(421, 'greeting', { action: 'defer-queue' }, { action: 'mode', value: 'backoff' });
    const c = hit(554, 'dot', { action: 'bounce-queue' });
    expect(queueActionsOf([a, b, c])).toEqual({ backoff: a, deferQueue: b, bounceQueue: c });
    expect(queueActionsOf([])).toEqual({});
  });

  it('bounces the queue with the reply that matched, 554 for a 4xx', () => {
    expect(bounceQueueOutcome(hit(421, 'rcpt', { action: 'bounce-queue' }))).toMatchObject({ outcome: 'bounced', code: 554, replyPattern: 'p.conf:3' });
    expect(bounceQueueOutcome(hit(550, 'rcpt', { action: 'bounce-queue' })).code).toBe(550);
  });
});
