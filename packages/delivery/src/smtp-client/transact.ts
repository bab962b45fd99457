/**
 * Stage "transact": one SMTP transaction (MAIL FROM, RCPT TO..., DATA) on an open session, with
 * an outcome per recipient, classified by classifyReply():
 * - a RCPT reply other than 2xx belongs to that recipient alone;
 * - a MAIL FROM refusal, the reply to DATA and the final reply after the dot apply to every
 *   recipient that RCPT accepted;
 * - a connection lost (or timed out) before the final reply defers every recipient without a
 *   definite answer; after the dot it is flagged `possibleDuplicate` (the server may have the mail).
 * Never throws for SMTP or network trouble: that is what the outcomes are for.
 */
import { isAscii } from 'node:buffer';
import type { ReplyPattern } from '@vmta/config';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { SMTPConnectionEnvelope } from 'nodemailer/lib/smtp-connection';
import type { BounceCategory } from '../bounce-category.js';
import { SmtpClientError } from './errors.js';
import { classifyReply, normalizeReplyText, type CategoryPatterns, type Outcome } from '../stages/classify-reply.js';
import type { SmtpPhase } from '../stages/reply-rules.js';
import { bodyHas8bit, downgradeTo7bit } from '../stages/mime-downgrade.js';
import { offers8bitmime, offersDsn, offersSmtputf8, usePerRecipientDsn, type RecipientDsn } from '../dsn/next-hop-params.js';
import type { SmtpSession, SmtpWireError } from './smtp-session.js';

export type DsnNotify = 'NEVER' | 'SUCCESS' | 'FAILURE' | 'DELAY';

export interface TransactionInput {
  /** Envelope sender; "" is the null sender (MAIL FROM:<>). */
  mailFrom: string;
  /** At most max-rcpt-per-transaction (see `splitRecipients`). */
  recipients: readonly string[];
  /** The message, CRLF line ends; dot-stuffing is done on the wire. */
  body: Buffer;
  /** DSN ENVID (sent when the server offers DSN). */
  envId?: string;
  /** DSN RET, and NOTIFY and ORCPT by recipient address: sent when the server offers DSN. */
  dsn?: { ret?: 'FULL' | 'HDRS'; recipients?: ReadonlyMap<string, RecipientDsn> };
  /** The domain's smtp-pattern-list, for classifyReply's `patternActions`. */
  patternList?: ReadonlyArray<ReplyPattern & { rule?: string }>;
  /** The operator's <bounce-category-patterns>, before the built-in categories. */
  categoryPatterns?: CategoryPatterns;
}

export interface RecipientResult {
  recipient: string;
  outcome: Outcome;
  /** Basic reply code; 451 with 4.4.2 for a connection lost or timed out (our reply, as Postfix). */
  code: number;
  enhancedCode?: string;
  /** Server reply as received (or our text for a lost connection). */
  response: string;
  category: BounceCategory;
  /** The step whose reply decided: rcpt, mail, data (DATA command), dot (after the message). */
  phase: SmtpPhase;
  patternActions?: ReturnType<typeof classifyReply>['patternActions'];
  /** The pattern's file:line. */
  patternRule?: string;
}

export interface TransactionResult {
  recipients: RecipientResult[];
  /** Final reply to the message, when the server gave one. */
  response?: string;
  /** The connection went away during the transaction: before or after the whole message was sent. */
  connectionLost?: 'before-data' | 'after-data';
  /** Lost after the dot: the server may have taken the message (a retry may duplicate it). */
  possibleDuplicate?: boolean;
  /** Whether the session can carry another message. */
  sessionUsable: boolean;
  /** The server offered DSN, so the DSN parameters went on with the message. */
  nextHopDsn?: boolean;
}

/** Recipients in chunks of at most `max` (max-rcpt-per-transaction). */
export function splitRecipients<T>(recipients: readonly T[], max: number): T[][] {
  const size = Math.max(1, Math.floor(max));
  const out: T[][] = [];
  for (let i = 0; i < recipients.length; i += size) out.push(recipients.slice(i, i + size));
  return out;
}

const INVALID_ADDRESS = /[\r\n<>]|^\s*$/;
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * RFC 6531 §3.2: an address with non-ASCII characters (the sender took it with SMTPUTF8) may only go to a
 * server that offers SMTPUTF8; there is no downgrade, so the recipient bounces (Postfix does the same).
 * A non-ASCII sender takes every recipient of the transaction with it. Delivery of the others goes on.
 */
function needsSmtputf8(mailFrom: string, recipient: string): boolean {
  return NON_ASCII.test(mailFrom) || NON_ASCII.test(recipient);
}
const SMTPUTF8_NOT_OFFERED = '550 5.6.7 SMTPUTF8 is required for a non-ASCII address, but the next hop does not offer it';
/**
 * RFC 6152 §3: no 8-bit data to a server that does not offer 8BITMIME. The caller converts the body first
 * (downgradeTo7bit). What is still 8-bit here is never sent as it is: a body that cannot be converted (a
 * base64 part holding 8-bit bytes) is returned; one that was made for another host of the route (the
 * next MX after the first one's reply, which offered 8BITMIME) is tried again later.
 */
const EIGHTBITMIME_NOT_OFFERED = '554 5.6.3 The message body is 8-bit and cannot be converted, and the next hop does not offer 8BITMIME';
const EIGHTBITMIME_LATER = '451 4.6.3 The message body was made 8-bit for another host of the route, and this one does not offer 8BITMIME';

function eightBitRefusal(body: Buffer): [number, string] {
  return bodyHas8bit(downgradeTo7bit(body)) ? [554, EIGHTBITMIME_NOT_OFFERED] : [451, EIGHTBITMIME_LATER];
}

type Patterns = Pick<TransactionInput, 'patternList' | 'categoryPatterns'>;

function reply(recipient: string, code: number, response: string, phase: SmtpPhase, patterns: Patterns): RecipientResult {
  const c = classifyReply({ code, text: response, phase }, patterns.patternList, patterns.categoryPatterns);
  const { enhancedCode } = normalizeReplyText(response);
  return {
    recipient,
    outcome: c.action,
    code,
    ...(enhancedCode !== undefined ? { enhancedCode } : {}),
    response,
    category: c.category,
    phase,
    ...(c.patternActions !== undefined ? { patternActions: c.patternActions } : {}),
    ...(c.patternRule !== undefined ? { patternRule: c.patternRule } : {}),
  };
}

function lost(recipient: string, phase: SmtpPhase, err: SmtpWireError, afterData: boolean): RecipientResult {
  const what = err.code === 'ETIMEDOUT' ? 'timeout' : 'connection lost';
  const when = afterData ? 'after the message was sent, before the final reply' : `during ${phase.toUpperCase()}`;
  return {
    recipient,
    outcome: 'deferred',
    code: 451,
    enhancedCode: '4.4.2',
    response: `451 4.4.2 ${what} ${when}: ${err.message}`,
    category: 'bad-connection',
    phase,
  };
}

const codeOf = (response: string | undefined): number => Number(/^\d{3}/.exec(response ?? '')?.[0] ?? 0);

/** The envelope nodemailer tracks (accepted/rejected so far): not on every error it reports. */
function envelopeOf(conn: SMTPConnection): Pick<SMTPConnectionEnvelope, 'accepted' | 'rejectedErrors'> {
  const env = (conn as unknown as { _envelope?: SMTPConnectionEnvelope | false })._envelope;
  return env ? env : { accepted: [], rejectedErrors: [] };
}

interface SendOutcome {
  err?: SmtpWireError;
  info?: SMTPConnection.SentMessageInfo;
  dataStarted: boolean;
  bodySent: boolean;
}

/** What the nodemailer patch adds to the envelope it is given: set once a whole Buffer message is handed to the socket. */
type WrittenEnvelope = SMTPConnection.Envelope & { messageWritten?: boolean };

function send(conn: SMTPConnection, input: TransactionInput, recipients: string[]): Promise<SendOutcome> {
  const dsn = input.dsn;
  const envelope: WrittenEnvelope = {
    from: input.mailFrom,
    to: recipients,
    size: input.body.length,
    use8BitMime: !isAscii(input.body),
    ...(dsn !== undefined || input.envId !== undefined
      ? {
          dsn: {
            ...(dsn?.ret !== undefined ? { ret: dsn.ret } : {}),
            ...(input.envId !== undefined ? { envid: input.envId } : {}),
          },
        }
      : {}),
  };
  const restore = dsn?.recipients?.size ? usePerRecipientDsn(conn, dsn.recipients) : undefined;
  // The Buffer itself, not a stream: the patched nodemailer writes it at once after the reply to DATA
  // (no stream and pipe per message) and marks the envelope `messageWritten`, which says how far DATA got.
  return new Promise<SendOutcome>((resolve) => {
    conn.send(envelope, input.body, (err, info) => {
      const written = envelope.messageWritten === true;
      resolve({ ...(err ? { err } : { info }), dataStarted: written, bodySent: written });
    });
  }).finally(restore);
}

/** One transaction on `session`; the session stays open (close it, or reuse it: RSET comes first). */
export async function transact(session: SmtpSession, input: TransactionInput): Promise<TransactionResult> {
  if (input.recipients.length === 0) throw new SmtpClientError('TRANSACTION_INVALID', 'a transaction needs at least one recipient');
  const pats: Patterns = input;
  const results = new Map<string, RecipientResult>();
  const valid = input.recipients.filter((r) => {
    if (!INVALID_ADDRESS.test(r)) return true;
    results.set(r, reply(r, 553, '553 5.1.3 Invalid recipient address syntax', 'rcpt', pats));
    return false;
  });
  const ordered = (): RecipientResult[] => input.recipients.map((r) => results.get(r)!);
  if (!offersSmtputf8(session.connection)) {
    for (let i = valid.length - 1; i >= 0; i--) {
      const r = valid[i]!;
      if (!needsSmtputf8(input.mailFrom, r)) continue;
      results.set(r, reply(r, 550, SMTPUTF8_NOT_OFFERED, 'rcpt', pats));
      valid.splice(i, 1);
    }
  }
  if (valid.length > 0 && !offers8bitmime(session.connection) && bodyHas8bit(input.body)) {
    const [code, text] = eightBitRefusal(input.body);
    for (const r of valid) results.set(r, reply(r, code, text, 'data', pats));
    valid.length = 0;
  }
  if (valid.length === 0) return { recipients: ordered(), sessionUsable: session.usable };

  const rsetError = await session.begin();
  if (rsetError !== undefined) {
    for (const r of valid) results.set(r, lost(r, 'mail', rsetError, false));
    return { recipients: ordered(), connectionLost: 'before-data', sessionUsable: false };
  }
  const conn = session.connection;
  const out = await send(conn, input, valid);
  const err0 = out.err;
  const dotAnswered = out.info !== undefined || (err0?.command === 'DATA' && err0.code === 'EMESSAGE' && codeOf(err0.response) >= 200);
  session.release(dotAnswered);
  if (out.err) session.markFaulted();
  const result: TransactionResult = { recipients: [], sessionUsable: session.usable, nextHopDsn: offersDsn(conn) };

  // A refused MAIL FROM decides for everyone (with PIPELINING the RCPTs then get 503s that mean nothing).
  const err = out.err;
  if (err?.command === 'MAIL FROM' && err.response !== undefined && codeOf(err.response) >= 200) {
    for (const r of valid) results.set(r, reply(r, codeOf(err.response), err.response, 'mail', pats));
    return { recipients: ordered(), sessionUsable: session.usable };
  }
  // Recipients with their own RCPT reply keep it, whatever happened afterwards.
  const rejected = out.info?.rejectedErrors ?? (err as { rejectedErrors?: SmtpWireError[] } | undefined)?.rejectedErrors ?? envelopeOf(conn).rejectedErrors;
  for (const e of rejected) {
    const r = (e as SmtpWireError).recipient;
    if (r !== undefined && e.response !== undefined) results.set(r, reply(r, codeOf(e.response), e.response, 'rcpt', pats));
  }
  const open = valid.filter((r) => !results.has(r));

  if (out.info !== undefined) {
    result.response = out.info.response;
    for (const r of open) results.set(r, reply(r, codeOf(out.info.response), out.info.response, 'dot', pats));
  } else {
    const e = err ?? { message: 'no result' };
    const command = e.command ?? '';
    const hasReply = e.response !== undefined && codeOf(e.response) >= 200;
    if (hasReply && command === 'DATA' && e.code === 'EENVELOPE') {
      for (const r of open) results.set(r, reply(r, codeOf(e.response), e.response!, 'data', pats));
    } else if (hasReply && command === 'DATA' && e.code === 'EMESSAGE') {
      result.response = e.response!;
      for (const r of open) results.set(r, reply(r, codeOf(e.response), e.response!, 'dot', pats));
    } else if (e.code === 'EMESSAGE' && command === 'MAIL FROM') {
      // nodemailer refuses locally when the message exceeds the SIZE the server announced.
      for (const r of open) results.set(r, reply(r, 552, `552 5.3.4 ${e.message}`, 'mail', pats));
    } else {
      const afterData = out.bodySent;
      result.connectionLost = afterData ? 'after-data' : 'before-data';
      if (afterData) result.possibleDuplicate = true;
      const phase: SmtpPhase = afterData ? 'dot' : out.dataStarted ? 'data' : 'rcpt';
      for (const r of open) results.set(r, lost(r, phase, e, afterData));
    }
  }
  result.recipients = ordered();
  result.sessionUsable = session.usable;
  return result;
}
