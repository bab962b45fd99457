import { describe, expect, it } from 'vitest';
import type { ReplyAction } from '@vmta/config';
import { bounceQueueOutcome, queueActionsOf, recipientPatternOutcome, sourceDisableOf, type PatternHit } from './pattern-actions.js';
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

describe('disable-source-ip: until when', () => {
  const NOW = 1_000_000;
  const disable: ReplyAction = { action: 'disable-source-ip' };
  it.each<[string, PatternHit[], number | undefined, { rule: string; until?: number } | undefined]>([
    ['no hit disables', [hit(421, 'rcpt', { action: 'mode', value: 'backoff' })], 60_000, undefined],
    ["the rule's reenable-after wins over the domain's", [hit(421, 'rcpt', disable, { action: 'reenable-after', value: 5_000 })], 60_000, { rule: 'p.conf:3', until: NOW + 5_000 }],
    ["the domain's reenable-source-ip-after without one", [hit(421, 'rcpt', disable)], 60_000, { rule: 'p.conf:3', until: NOW + 60_000 }],
    ['never by itself when neither says', [hit(421, 'greeting', disable)], undefined, { rule: 'p.conf:3' }],
  ])('%s', (_name, hits, domainAfter, expected) => {
    const d = sourceDisableOf(hits, domainAfter === undefined ? {} : { 'reenable-source-ip-after': domainAfter }, NOW);
    expect(d === undefined ? undefined : { rule: d.hit.rule, ...(d.until !== undefined ? { until: d.until } : {}) }).toEqual(expected);
  });
});
