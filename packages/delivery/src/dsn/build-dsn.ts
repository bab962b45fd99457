/**
 * Delivery status notifications (RFC 3461, 3462/6522, 3464): the multipart/report a sender gets
 * back when recipients failed or are delayed. Pure: the same input gives the same bytes.
 */
import { createHash } from 'node:crypto';
import type { RecipientRecord, StoredMessage } from '@vmta/queue';
import type { RecipientOutcome } from '../worker/outcomes.js';
import { asciiText, has8bit, headerField, isLineSafe, returnableHeaders, rfc5322Date, wrapText } from './dsn-text.js';
import { isNullSender, returnsFullMessage, wantsNotice, type DsnAction } from './notify-policy.js';

/** Default cap on the returned original: at most this many octets of it go back to the sender. */
export const DEFAULT_MAX_RETURN_BYTES = 100 * 1024;

export interface DsnRecipient {
  recipient: RecipientRecord;
  result: RecipientOutcome;
  /** Host name of the MTA that gave the reply, when one did. */
  remoteMta?: string;
}

export interface BuildDsnInput {
  message: StoredMessage;
  recipients: readonly DsnRecipient[];
  action: DsnAction;
  /** Our host name (Reporting-MTA). */
  reportingMta: string;
  /** Address the notification comes from. */
  postmaster: string;
  now: Date;
  /** Message-ID of the notification, with or without angle brackets. */
  messageId: string;
  /** Cap on the returned original (default 100 KB): a larger one goes back as headers only. */
  maxReturnBytes?: number;
}

const SUBJECT: Record<DsnAction, string> = {
  failed: 'Undelivered Mail Returned to Sender',
  delayed: 'Delivery Status Notification (Delay)',
  relayed: 'Delivery Status Notification (Relayed)',
  delivered: 'Delivery Status Notification (Success)',
};

/**
 * The notification as it goes on the wire (CRLF line ends, lines ≤ 998 octets), or undefined when
 * none is due: the envelope sender is the null sender, or no recipient's NOTIFY asks for `action`.
 * Only the recipients whose NOTIFY asks for it are reported.
 */
export function buildDsn(input: BuildDsnInput): Buffer | undefined {
  const { message, action } = input;
  if (isNullSender(message.mailFrom)) return undefined;
  const reported = input.recipients.filter((r) => wantsNotice(r.recipient.notify, action));
  if (reported.length === 0) return undefined;

  const maxReturn = input.maxReturnBytes ?? DEFAULT_MAX_RETURN_BYTES;
  const wantsFull = returnsFullMessage(message.ret, action);
  const full = wantsFull && message.body.length <= maxReturn && isLineSafe(message.body);
  const returned = full ? message.body : returnableHeaders(message.body, maxReturn);
  const human = Buffer.from(humanReadable(input, reported, wantsFull && !full), 'utf8');
  const status = Buffer.from(deliveryStatus(input, reported), 'ascii');
  const eightBit = has8bit(human) || has8bit(returned);
  const boundary = boundaryFor(input, [human, status, returned]);
  const messageId = input.messageId.replace(/^<|>$/g, '');

  const head = [
    `From: "Mail Delivery System" <${input.postmaster}>`,
    `To: <${message.mailFrom}>`,
    `Subject: ${SUBJECT[action]}`,
    `Date: ${rfc5322Date(input.now)}`,
    `Message-ID: <${messageId}>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status;\r\n boundary="${boundary}"`,
    ...(eightBit ? ['Content-Transfer-Encoding: 8bit'] : []),
    '',
    'This is a MIME-encapsulated message.',
    '',
  ];
  const part = (headers: string[], body: Buffer): Buffer[] => [
    Buffer.from(`--${boundary}\r\n${headers.join('\r\n')}\r\n\r\n`, 'ascii'),
    body,
    Buffer.from(body.length === 0 || body.subarray(-2).toString() === '\r\n' ? '' : '\r\n', 'ascii'),
  ];
  const returnedType = full ? 'message/rfc822' : 'text/rfc822-headers';
  return Buffer.concat([
    Buffer.from(head.join('\r\n') + '\r\n', 'ascii'),
    ...part(
      [`Content-Type: text/plain; charset=${has8bit(human) ? 'utf-8' : 'us-ascii'}`, 'Content-Description: Notification', cte(human)],
      human,
    ),
    ...part(['Content-Type: message/delivery-status', 'Content-Description: Delivery report'], status),
    ...part(
      [`Content-Type: ${returnedType}`, `Content-Description: ${returnedDescription(action, full)}`, cte(returned)],
      returned,
    ),
    Buffer.from(`--${boundary}--\r\n`, 'ascii'),
  ]);
}

/** The Status of a recipient: its enhanced code, else the class of the reply code (5.0.0 / 4.0.0 / 2.0.0). */
export function dsnStatus(result: Pick<RecipientOutcome, 'code' | 'enhancedCode'>, action: DsnAction): string {
  const enhanced = result.enhancedCode?.trim();
  if (enhanced !== undefined && /^[245]\.\d{1,3}\.\d{1,3}$/.test(enhanced)) return enhanced;
  if (result.code >= 500 && result.code < 600) return '5.0.0';
  if (result.code >= 400 && result.code < 500) return '4.0.0';
  if (result.code >= 200 && result.code < 300) return '2.0.0';
  return action === 'failed' ? '5.0.0' : action === 'delayed' ? '4.0.0' : '2.0.0';
}

/**
 * RFC 3464 §2.3.6: the "smtp" diagnostic type is an SMTP reply. A server's reply goes as it came; an outcome
 * made here (deleted by the operator, expired, TLS required) gets its reply code and status in front, so it
 * reads as one too (`smtp; 554 5.0.0 deleted by the operator`), not as bare text.
 */
function diagnosticCode(result: Pick<RecipientOutcome, 'code' | 'enhancedCode' | 'response'>, action: DsnAction): string {
  if (/^[2-5]\d\d(?:[ -]|$)/.test(result.response)) return `smtp; ${result.response}`;
  const code = result.code >= 200 && result.code < 600 ? result.code : action === 'delayed' ? 451 : 554;
  return `smtp; ${code} ${dsnStatus(result, action)} ${result.response}`;
}

function returnedDescription(action: DsnAction, full: boolean): string {
  const what = action === 'failed' || action === 'delayed' ? 'Undelivered Message' : 'Message';
  return full ? what : `${what} Headers`;
}

function cte(body: Buffer): string {
  return `Content-Transfer-Encoding: ${has8bit(body) ? '8bit' : '7bit'}`;
}

/** An address as an RFC 3464 typed address: rfc822, or utf-8 (RFC 6533) when it is not ASCII. */
function typedAddress(address: string): string {
  return /^[\x20-\x7e]*$/.test(address) ? `rfc822; ${address}` : `utf-8; ${asciiText(address)}`;
}

function deliveryStatus(input: BuildDsnInput, reported: readonly DsnRecipient[]): string {
  const { message } = input;
  const perMessage = [
    ...(message.envId !== undefined && message.envId !== '' ? [headerField('Original-Envelope-Id', message.envId)] : []),
    headerField('Reporting-MTA', `dns; ${input.reportingMta}`),
    ...(message.source.heloName ? [headerField('Received-From-MTA', `dns; ${message.source.heloName}`)] : []),
    headerField('Arrival-Date', rfc5322Date(new Date(message.receivedAt))),
  ];
  const blocks = [perMessage.join('\r\n')];
  for (const { recipient, result, remoteMta } of reported) {
    const orcpt = recipient.orcpt;
    blocks.push(
      [
        ...(orcpt ? [headerField('Original-Recipient', orcpt.includes(';') ? orcpt : `rfc822;${orcpt}`)] : []),
        headerField('Final-Recipient', typedAddress(recipient.address)),
        headerField('Action', input.action),
        headerField('Status', dsnStatus(result, input.action)),
        ...(remoteMta ? [headerField('Remote-MTA', `dns; ${remoteMta}`)] : []),
        headerField('Diagnostic-Code', diagnosticCode(result, input.action)),
        headerField('Last-Attempt-Date', rfc5322Date(input.now)),
      ].join('\r\n'),
    );
  }
  return blocks.join('\r\n\r\n') + '\r\n';
}

const INTRO: Record<DsnAction, (postmaster: string) => string[]> = {
  failed: (postmaster) => [
    'Your message could not be delivered to one or more recipients. It is attached below.',
    `For further assistance, please contact <${postmaster}>. If you do so, please include this problem report.`,
  ],
  delayed: () => [
    'THIS IS A WARNING ONLY. YOU DO NOT NEED TO RESEND YOUR MESSAGE.',
    'Your message could not be delivered yet to one or more recipients. The mail system will keep trying, and will tell you if it gives up.',
  ],
  relayed: () => [
    'Your message was relayed to the recipients below, as you asked (NOTIFY=SUCCESS).',
    'The next mail system does not offer delivery status notifications: no further notice of delivery will come.',
  ],
  delivered: () => ['Your message was delivered to the recipients below, as you asked (NOTIFY=SUCCESS).'],
};

function humanReadable(input: BuildDsnInput, reported: readonly DsnRecipient[], tooLarge: boolean): string {
  const intro = INTRO[input.action](input.postmaster);
  const lines = [`This is the mail system at host ${input.reportingMta}.`, ...intro];
  if (tooLarge) lines.push('The message was too large to return in full: only its headers are attached.');
  const details = reported.map(({ recipient, result, remoteMta }) =>
    wrapText(`<${recipient.address}>: ${remoteMta ? `host ${remoteMta} said: ` : ''}${result.response}`, '    '),
  );
  return [...lines.map((l) => wrapText(l)), ...details].join('\r\n\r\n') + '\r\n';
}

/** A boundary derived from the input (pure) that occurs in none of the parts. */
function boundaryFor(input: BuildDsnInput, parts: readonly Buffer[]): string {
  const seed = createHash('sha256').update(`${input.messageId}\0${input.message.id}`).digest('hex').slice(0, 24);
  for (let n = 0; ; n++) {
    const boundary = `=_dsn_${seed}${n === 0 ? '' : `_${n}`}`;
    if (!parts.some((p) => p.includes(`--${boundary}`))) return boundary;
  }
}
