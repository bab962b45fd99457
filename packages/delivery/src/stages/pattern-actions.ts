/**
 * Stage "pattern actions": what the actions of a matched `<smtp-pattern-list>` rule do. Pure.
 * PowerMTA §3.3.15:
 * - bounce-rcpt: a 4xx reply to RCPT bounces that recipient now (other replies are untouched);
 * - skip-mx: the mail stays queued (even on a 5xx) and the next MX is tried now;
 * - bounce-queue, defer-queue, mode=backoff, mode=normal act on the queue (the caller applies them).
 * - disable-source-ip takes the source IP that got the reply out of use for the queue, until
 *   reenable-after=T from the rule, else the domain's reenable-source-ip-after, else by hand.
 */
import type { DomainPolicy, ReplyAction } from '@vmta/config';
import type { RecipientOutcome } from '../worker/outcomes.js';
import type { SmtpPhase } from './reply-rules.js';

/** A reply a rule matched: the reply, its phase, the rule's actions and where it is written. */
export interface PatternHit {
  code: number;
  response: string;
  phase: SmtpPhase;
  actions: readonly ReplyAction[];
  /** file:line of the rule. */
  rule: string;
}

export interface QueueActions {
  backoff?: PatternHit;
  normal?: PatternHit;
  deferQueue?: PatternHit;
  bounceQueue?: PatternHit;
}

const has = (hit: PatternHit, name: ReplyAction['action'], value?: string): boolean =>
  hit.actions.some((a) => a.action === name && (value === undefined || ('value' in a && a.value === value)));

/** A recipient's outcome after the rule's recipient actions; `skipMx`: try it on the next MX now. */
export function recipientPatternOutcome(result: RecipientOutcome, hit: PatternHit | undefined): { result: RecipientOutcome; skipMx: boolean } {
  if (hit === undefined) return { result, skipMx: false };
  const named = { ...result, replyPattern: hit.rule };
  if (has(hit, 'skip-mx')) return { result: { ...named, outcome: 'deferred' }, skipMx: true };
  if (has(hit, 'bounce-rcpt') && hit.phase === 'rcpt' && result.code >= 400 && result.code < 500) {
    return { result: { ...named, outcome: 'bounced' }, skipMx: false };
  }
  return { result: named, skipMx: false };
}

/** The queue actions of a set of hits, the first hit of each kind. */
export function queueActionsOf(hits: readonly PatternHit[]): QueueActions {
  const out: QueueActions = {};
  for (const hit of hits) {
    if (has(hit, 'mode', 'backoff')) out.backoff ??= hit;
    if (has(hit, 'mode', 'normal')) out.normal ??= hit;
    if (has(hit, 'defer-queue')) out.deferQueue ??= hit;
    if (has(hit, 'bounce-queue')) out.bounceQueue ??= hit;
  }
  return out;
}

/** A bounce-queue rule's outcome for the queue's recipients: the reply that triggered it, as a bounce. */
export function bounceQueueOutcome(hit: PatternHit): RecipientOutcome {
  const code = hit.code >= 500 && hit.code < 600 ? hit.code : 554;
  return { outcome: 'bounced', code, response: hit.response, category: 'policy-related', replyPattern: hit.rule };
}

export interface SourceDisable {
  hit: PatternHit;
  /** When the IP is enabled again (ms); undefined: never by itself. */
  until?: number;
}

/**
 * The first hit with disable-source-ip, and until when: its own reenable-after=, else the domain's
 * reenable-source-ip-after, else never. undefined when no hit disables the source.
 */
export function sourceDisableOf(hits: readonly PatternHit[], policy: Pick<DomainPolicy, 'reenable-source-ip-after'>, now: number): SourceDisable | undefined {
  const hit = hits.find((h) => has(h, 'disable-source-ip'));
  if (hit === undefined) return undefined;
  const own = hit.actions.find((a) => a.action === 'reenable-after');
  const after = own && 'value' in own && typeof own.value === 'number' ? own.value : policy['reenable-source-ip-after'];
  return after === undefined ? { hit } : { hit, until: now + after };
}
