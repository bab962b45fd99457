/**
 * A message whose stored body this process cannot read (the message store's `unreadable`: an
 * encoding a newer version wrote, or deflated bytes that do not inflate) is never sent: its
 * recipients are deferred (451 4.3.0), so a process that can read it (after an upgrade) delivers
 * it, and bounce-after ends it with a DSN otherwise. One such message never holds up the rest of
 * its batch.
 */
import type { RecipientOutcome } from './outcomes.js';

export function unreadableBodyOutcome(why: string): RecipientOutcome {
  return { outcome: 'deferred', code: 451, enhancedCode: '4.3.0', response: `message body unreadable here: ${why}`, category: 'other' };
}
