/**
 * Outcome stage: per-recipient results of a transaction (or a queue-level
 * decision) become updated recipient records and accounting records. Pure.
 */
import { deliveryRecord, type DeliveryOutcome, type DeliveryRecord, type RecipientRecord, type MessageHead } from '@vmta/queue';
import type { BounceCategory } from '../bounce-category.js';

export interface RecipientOutcome {
  outcome: DeliveryOutcome;
  code: number;
  enhancedCode?: string;
  response: string;
  category: BounceCategory;
  /** The smtp-pattern-list rule (file:line) that matched the reply. */
  replyPattern?: string;
}

export interface DeliveryFacts {
  queue: string;
  /** The VMTA whose connection delivered, when it is not the message's (a reroute). */
  vmta?: string;
  sourceIp?: string;
  destinationIp?: string;
  tls?: { protocol: string; cipher: string };
  now: number;
}

export interface AppliedOutcomes {
  recipients: RecipientRecord[];
  accounting: DeliveryRecord[];
  /** The message's job, if any (its counters count the outcomes). */
  job?: string;
  /** Some recipients stay queued here: not before this time. */
  notBefore?: number;
}

export function applyOutcomes(
  message: MessageHead,
  results: ReadonlyArray<{ recipient: RecipientRecord; result: RecipientOutcome }>,
  facts: DeliveryFacts,
  retryRecipientsAfterMs: number,
): AppliedOutcomes {
  const logged = new Date(facts.now).toISOString();
  const recipients: RecipientRecord[] = [];
  const accounting: AppliedOutcomes['accounting'] = [];
  let deferred = false;
  for (const { recipient, result } of results) {
    const state = result.outcome === 'delivered' ? 'delivered' : result.outcome === 'bounced' ? 'bounced' : 'queued';
    if (state === 'queued') deferred = true;
    recipients.push({ ...recipient, state, attempts: recipient.attempts + 1, lastReply: `${result.code} ${result.enhancedCode ? `${result.enhancedCode} ` : ''}${result.response}` });
    accounting.push(
      deliveryRecord(
        message,
        recipient,
        {
          outcome: result.outcome,
          dsnStatus: result.enhancedCode ?? `${result.code}`,
          dsnDiag: result.response,
          bounceCat: result.outcome === 'delivered' ? undefined : result.category,
          queue: facts.queue,
          ...(facts.vmta !== undefined ? { vmta: facts.vmta } : {}),
          sourceIp: facts.sourceIp,
          destinationIp: facts.destinationIp,
          tls: facts.tls,
          ...(result.replyPattern !== undefined ? { replyPattern: result.replyPattern } : {}),
        },
        logged,
      ),
    );
  }
  return { recipients, accounting, ...(message.job ? { job: message.job } : {}), ...(deferred ? { notBefore: facts.now + retryRecipientsAfterMs } : {}) };
}

/** The same outcome for every recipient (route failure, expiry). */
export function sameOutcome(recipients: readonly RecipientRecord[], result: RecipientOutcome) {
  return recipients.map((recipient) => ({ recipient, result }));
}
