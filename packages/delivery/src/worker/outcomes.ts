/**
 * Outcome stage: per-recipient results of a transaction (or a queue-level
 * decision) become updated recipient records and accounting records. Pure.
 */
import type { RecipientRecord, StoredMessage } from '@vmta/queue';
import type { BounceCategory } from '../bounce-category.js';

export interface RecipientOutcome {
  outcome: 'delivered' | 'deferred' | 'bounced';
  code: number;
  enhancedCode?: string;
  response: string;
  category: BounceCategory;
}

export interface DeliveryFacts {
  queue: string;
  sourceIp?: string;
  destinationIp?: string;
  tls?: { protocol: string; cipher: string };
  now: number;
}

export interface AppliedOutcomes {
  recipients: RecipientRecord[];
  accounting: Array<Record<string, string | number | undefined>>;
  /** Some recipients stay queued here: not before this time. */
  notBefore?: number;
}

const RECORD_TYPE = { delivered: 'd', bounced: 'b', deferred: 't' } as const;

export function applyOutcomes(
  message: StoredMessage,
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
    recipients.push({ ...recipient, state, attempts: recipient.attempts + 1 });
    accounting.push({
      type: RECORD_TYPE[result.outcome],
      timeLogged: logged,
      timeQueued: new Date(message.receivedAt).toISOString(),
      orig: message.mailFrom,
      rcpt: recipient.address,
      orcpt: recipient.orcpt,
      dsnAction: result.outcome === 'delivered' ? 'relayed' : result.outcome === 'bounced' ? 'failed' : 'delayed',
      dsnStatus: result.enhancedCode ?? `${result.code}`,
      dsnDiag: result.response,
      bounceCat: result.outcome === 'delivered' ? undefined : result.category,
      srcType: 'smtp',
      srcMta: message.source.heloName,
      dlvSourceIp: facts.sourceIp,
      dlvDestinationIp: facts.destinationIp,
      dlvSize: message.size,
      vmta: message.vmta,
      jobId: message.id,
      envId: message.envId,
      queue: facts.queue,
      vmtaPool: message.vmtaPool,
      dlvTlsProtocol: facts.tls?.protocol,
      dlvTlsCipher: facts.tls?.cipher,
      rcvSmtpUser: message.source.authUser,
    });
  }
  return { recipients, accounting, ...(deferred ? { notBefore: facts.now + retryRecipientsAfterMs } : {}) };
}

/** The same outcome for every recipient (route failure, expiry). */
export function sameOutcome(recipients: readonly RecipientRecord[], result: RecipientOutcome) {
  return recipients.map((recipient) => ({ recipient, result }));
}
