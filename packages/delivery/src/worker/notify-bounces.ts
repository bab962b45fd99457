/** Bounce notifications of a message's bounced recipients, queued from the null sender. */
import type { RecipientRecord, StoredMessage } from '@vmta/queue';
import type { RecipientOutcome } from './outcomes.js';
import type { TokenDeps } from './token-deps.js';

/** DSN before the outcome is recorded: a crash in between repeats the DSN rather than losing it. */
export async function notifyBounces(
  deps: TokenDeps,
  message: StoredMessage,
  results: ReadonlyArray<{ recipient: RecipientRecord; result: RecipientOutcome }>,
  remoteMta?: string,
): Promise<void> {
  const bounced = results.filter((r) => r.result.outcome === 'bounced');
  if (!deps.bounces || bounced.length === 0) return;
  const dsnId = await deps.bounces.notify(message, bounced.map((r) => ({ ...r, ...(remoteMta ? { remoteMta } : {}) })), 'failed');
  if (dsnId) deps.log.info({ event: 'dsn', queueId: message.id, dsnId, recipients: bounced.length }, 'bounce notification queued');
}
