/**
 * Whether a delivery status notification is due (RFC 3461 §4.1, RFC 5321 §4.5.5). Pure.
 */

/** The DSN actions an MTA reports to the sender by itself ("relayed"/"delivered" need SUCCESS and a remote MTA). */
export type DsnAction = 'failed' | 'delayed';

/**
 * A recipient's NOTIFY values allow a notice for this action: NOTIFY=NEVER never does; an explicit
 * list must name FAILURE (failed) or DELAY (delayed); without NOTIFY, failures are reported and
 * delays are not (RFC 3461 leaves delay notices to the MTA when NOTIFY is absent: we send none).
 */
export function wantsNotice(notify: readonly string[] | undefined, action: DsnAction): boolean {
  if (notify === undefined || notify.length === 0) return action === 'failed';
  const values = notify.map((v) => v.trim().toUpperCase());
  if (values.includes('NEVER')) return false;
  return values.includes(action === 'failed' ? 'FAILURE' : 'DELAY');
}

/** The null reverse-path (MAIL FROM:<>): a notification itself; it is never answered with another one. */
export function isNullSender(mailFrom: string): boolean {
  const s = mailFrom.trim();
  return s === '' || s === '<>';
}
