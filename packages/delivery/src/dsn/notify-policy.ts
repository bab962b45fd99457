/**
 * Whether a delivery status notification is due (RFC 3461 §4.1, RFC 5321 §4.5.5). Pure.
 */

/**
 * The DSN actions an MTA reports to the sender by itself (RFC 3464 §2.3.3). We relay only: a recipient
 * with NOTIFY=SUCCESS gets "relayed" when the next hop took the message without offering DSN (RFC 3461
 * §6.2.6.2; when it offers DSN the parameters go on and the final MTA reports "delivered").
 */
export type DsnAction = 'failed' | 'delayed' | 'relayed' | 'delivered';

const KEYWORD: Record<DsnAction, string> = { failed: 'FAILURE', delayed: 'DELAY', relayed: 'SUCCESS', delivered: 'SUCCESS' };

/**
 * A recipient's NOTIFY values allow a notice for this action: NOTIFY=NEVER never does; an explicit
 * list must name FAILURE (failed), DELAY (delayed) or SUCCESS (relayed, delivered); without NOTIFY,
 * failures are reported and nothing else (RFC 3461 §4.1 leaves delay notices to the MTA: we send none).
 */
export function wantsNotice(notify: readonly string[] | undefined, action: DsnAction): boolean {
  if (notify === undefined || notify.length === 0) return action === 'failed';
  const values = notify.map((v) => v.trim().toUpperCase());
  if (values.includes('NEVER')) return false;
  return values.includes(KEYWORD[action]);
}

/** RFC 3461 §4.3: RET applies to failures only; any other notice returns the headers alone. */
export function returnsFullMessage(ret: 'FULL' | 'HDRS' | undefined, action: DsnAction): boolean {
  return ret === 'FULL' && action === 'failed';
}

/** The null reverse-path (MAIL FROM:<>): a notification itself; it is never answered with another one. */
export function isNullSender(mailFrom: string): boolean {
  const s = mailFrom.trim();
  return s === '' || s === '<>';
}
