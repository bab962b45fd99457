/**
 * Automatic suppression (not a PowerMTA feature): after the outcomes of a transaction are recorded, a
 * recipient that bounced with a category of `auto-suppress-categories` (bad-mailbox, bad-domain) goes into
 * the suppression store of the tenant that sent the message, with the reason, the queue and the reply,
 * for `auto-suppress-expire` of that reason.
 *
 * It runs before the outcome is recorded (as the DSN does): if the process dies in between, the
 * recipient is still queued, is bounced again by whoever takes the mail, and the same entries are
 * written again (an HSET of the same address: one entry; a second `s` event). A failure to write
 * throws, so the outcome is not recorded without its suppression (the mail is handed back and tried
 * again). Recorded first, a kill in between lost the suppression for good.
 */
import { autoSuppresses, suppressionTenant, suppressionTtlMs, type VmtaConfig } from '@vmta/config';
import type { RecipientRecord, StoredMessage, SuppressionInput, SuppressionStore } from '@vmta/queue';
import type { Logger } from 'pino';
import type { RecipientOutcome } from './outcomes.js';

/** The store entries for the results of one message (pure). */
export function autoSuppressions(
  config: VmtaConfig,
  queue: string,
  results: ReadonlyArray<{ recipient: RecipientRecord; result: RecipientOutcome }>,
): SuppressionInput[] {
  return results
    .filter((r) => r.result.outcome === 'bounced' && autoSuppresses(config, r.result.category))
    .map(({ recipient, result }) => ({
      address: recipient.address,
      reason: result.category,
      ttlMs: suppressionTtlMs(config, result.category),
      queue,
      reply: result.response.slice(0, 300),
    }));
}

export async function suppressBounced(
  deps: { config: () => VmtaConfig; suppressions?: SuppressionStore | undefined; log: Logger },
  message: StoredMessage,
  queue: string,
  results: ReadonlyArray<{ recipient: RecipientRecord; result: RecipientOutcome }>,
): Promise<void> {
  if (!deps.suppressions) return;
  const config = deps.config();
  const entries = autoSuppressions(config, queue, results);
  if (entries.length === 0) return;
  const tenant = suppressionTenant(config, { authUser: message.source.authUser, listener: message.source.listener });
  try {
    await deps.suppressions.add(tenant, entries);
  } catch (err) {
    deps.log.warn({ event: 'auto-suppress-failed', queueId: message.id, tenant, err: (err as Error).message }, 'could not store suppressions: the outcome waits');
    throw err;
  }
  deps.log.info({ event: 'auto-suppressed', queueId: message.id, tenant, recipients: entries.map((e) => e.address), reason: entries[0]!.reason }, 'bounced recipients suppressed');
}
