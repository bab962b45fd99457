/**
 * Recipients the listener accepted although suppressed (`accept-invalid-recipients yes`): each is
 * bounced with the reply it would have had at RCPT (category policy-related), never delivered: a `b`
 * record and a DSN, like a remote 550. The message's other recipients of the queue stay queued, due
 * at once, and go in a later batch.
 */
import type { RecipientRecord, StoredMessage } from '@vmta/queue';
import { notifyBounces } from './notify-bounces.js';
import { applyOutcomes, type RecipientOutcome } from './outcomes.js';
import type { TokenDeps } from './token-deps.js';

/** The bounce of a refused recipient; undefined for an ordinary one. */
export function refusedOutcome(recipient: RecipientRecord): RecipientOutcome | undefined {
  const r = recipient.refused;
  return r ? { outcome: 'bounced', code: r.code, enhancedCode: r.enhancedCode, response: r.text, category: 'policy-related' } : undefined;
}

/** Bounces the refused ones of `pending` (DSN first, then the outcomes in one step); the others stay queued. */
export async function bounceRefused(
  deps: TokenDeps,
  message: StoredMessage,
  at: { queue: string; slot: number; run: string | undefined },
  pending: readonly RecipientRecord[],
  now: number,
): Promise<void> {
  const results = pending.flatMap((recipient) => {
    const result = refusedOutcome(recipient);
    return result ? [{ recipient, result }] : [];
  });
  const keep = results.length < pending.length;
  const applied = applyOutcomes(message, results, { queue: at.queue, now }, 0);
  await notifyBounces(deps, message, results);
  await deps.ops.recordOutcomes({ id: message.id, ...at, ...applied, ...(keep ? { keep, notBefore: now } : {}) });
  deps.log.info({ event: 'refused-bounced', queueId: message.id, queue: at.queue, recipients: results.length }, 'suppressed recipients bounced');
}
