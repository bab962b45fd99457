/**
 * RFC 3461 parameters passed on to the next hop, NOTIFY and ORCPT per recipient. nodemailer 10 takes
 * one `dsn` per envelope: RET and ENVID go on MAIL FROM, and the same NOTIFY and ORCPT on every
 * RCPT TO, all only when the server offered DSN, xtext-encoded by nodemailer. Splitting a message
 * into one transaction per distinct ORCPT would cost a transaction per recipient, so this adapter
 * gives each RCPT TO line its own recipient's values: an own property of the connection wraps
 * nodemailer's `_getDsnRcptToArgs`, which `_sendRcpt` calls right after queueing that recipient
 * (pipelined or not). Pinned to nodemailer 10.x (see the integration test in smtp-client).
 */
import type SMTPConnection from 'nodemailer/lib/smtp-connection';

export interface RecipientDsn {
  /** NOTIFY values, upper case (NEVER alone, or SUCCESS/FAILURE/DELAY). */
  notify?: readonly string[];
  /** ORCPT as received, "addr-type;address" (decoded). */
  orcpt?: string;
}

interface NodemailerDsn {
  ret: string | null;
  envid: string | null;
  notify: string | null;
  orcpt: string | null;
}

interface Internals {
  _envelope?: { dsn?: NodemailerDsn } | false;
  _recipientQueue?: string[];
  _supportedExtensions?: string[];
  _getDsnRcptToArgs(): string;
}

/** The server offered DSN in its EHLO reply: parameters go on, and a notice of success is its job. */
export function offersDsn(conn: SMTPConnection): boolean {
  return ((conn as unknown as Internals)._supportedExtensions ?? []).includes('DSN');
}

/** The server offered 8BITMIME (RFC 6152) in its EHLO reply. */
export function offers8bitmime(conn: SMTPConnection): boolean {
  return ((conn as unknown as Internals)._supportedExtensions ?? []).includes('8BITMIME');
}

/** The server offered SMTPUTF8 (RFC 6531) in its EHLO reply. */
export function offersSmtputf8(conn: SMTPConnection): boolean {
  return ((conn as unknown as Internals)._supportedExtensions ?? []).includes('SMTPUTF8');
}

/**
 * Until the returned function is called, each RCPT TO on `conn` carries the NOTIFY and ORCPT of
 * its own recipient from `params` (none for a recipient not in it).
 */
export function usePerRecipientDsn(conn: SMTPConnection, params: ReadonlyMap<string, RecipientDsn>): () => void {
  const c = conn as unknown as Internals;
  const original = Object.getPrototypeOf(c) as Internals;
  c._getDsnRcptToArgs = () => {
    const envelope = c._envelope;
    if (!envelope || !envelope.dsn) return original._getDsnRcptToArgs.call(c);
    const p = params.get(c._recipientQueue?.at(-1) ?? '');
    const saved = envelope.dsn;
    envelope.dsn = { ...saved, notify: p?.notify?.length ? p.notify.join(',') : null, orcpt: p?.orcpt ?? null };
    try {
      return original._getDsnRcptToArgs.call(c);
    } finally {
      envelope.dsn = saved;
    }
  };
  return () => {
    delete (c as Partial<Internals>)._getDsnRcptToArgs;
  };
}

/** What `transact` needs to pass a message's DSN parameters on for these recipients. */
export function transactionDsn(
  message: { envId?: string; ret?: 'FULL' | 'HDRS' },
  recipients: ReadonlyArray<{ address: string } & RecipientDsn>,
): { envId?: string; dsn?: { ret?: 'FULL' | 'HDRS'; recipients?: ReadonlyMap<string, RecipientDsn> } } {
  const byAddress = new Map<string, RecipientDsn>();
  for (const r of recipients) {
    if (r.notify?.length || r.orcpt) byAddress.set(r.address, { ...(r.notify?.length ? { notify: r.notify } : {}), ...(r.orcpt ? { orcpt: r.orcpt } : {}) });
  }
  const dsn = { ...(message.ret ? { ret: message.ret } : {}), ...(byAddress.size > 0 ? { recipients: byAddress } : {}) };
  return { ...(message.envId ? { envId: message.envId } : {}), ...(Object.keys(dsn).length > 0 ? { dsn } : {}) };
}
