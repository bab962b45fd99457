/**
 * Reading what arrives at a processor address, with mailparser: an ARF report (RFC 5965) becomes the
 * fields of an `f` record; a DSN (RFC 3464, multipart/report; report-type=delivery-status) or a
 * recognisable non-standard bounce (non-standard.ts) becomes one `rb` record per failed recipient, its
 * bounce category from the same classification as delivery's replies; a DSN recipient whose action is
 * delayed, delivered, relayed or expanded becomes an `rs` (remote status) record. Anything else is "not a report".
 */
import { classifyReply, type CategoryPatterns } from '@vmta/config';
import type { FeedbackRecord, RemoteBounceRecord, RemoteStatusRecord } from '@vmta/queue';
// mailparser (with its HTML and charset code) is imported by the first report that arrives (parseReport):
// a listener that never gets one does not hold it in its heap.
import type { Attachment, ParsedMail } from 'mailparser';
import { bareAddress, fieldGroups, headerBlock, headerValue, ownTrace, type Field, type OwnTrace } from './fields.js';
import { nonStandardBounce } from './non-standard.js';

export interface ReportInput {
  raw: Buffer;
  /** Our host name: finds our Received header on the original. */
  hostName: string;
  categories?: CategoryPatterns;
  logged: string;
}

/** The original message as far as the report carries it. */
export interface Original {
  headers: Field[];
  trace: OwnTrace;
  jobId?: string;
}

export type FeedbackFields = Omit<FeedbackRecord, 'tenant'>;

export type ReportResult =
  | { ok: true; kind: 'fbl'; record: FeedbackFields; original: Original }
  | { ok: true; kind: 'bounce'; records: (RemoteBounceRecord | RemoteStatusRecord)[]; original: Original }
  /** `notReport`: no report part and no known bounce text (unmatched mail); otherwise a report that cannot be processed. */
  | { ok: false; reason: string; notReport?: true };

const text = (a: Attachment | undefined): string => (a ? a.content.toString('utf8') : '');
const part = (mail: ParsedMail, type: string): Attachment | undefined => mail.attachments.find((a) => a.contentType.toLowerCase() === type);

/**
 * The header block of the original inside the raw report: mailparser opens a message/rfc822 part as a
 * nested message and keeps only a few of its headers, so the part is found in the raw text (a 7bit or
 * 8bit part, as reports send it; a base64 one is not decoded).
 */
function rawOriginal(raw: string): string | undefined {
  const m = /^Content-Type:[ \t]*(?:message\/rfc822|text\/rfc822-headers)\b/im.exec(raw);
  if (!m) return undefined;
  const rest = raw.slice(m.index);
  const body = /\r?\n\r?\n/.exec(rest);
  return body ? rest.slice(body.index + body[0].length) : undefined;
}

function originalOf(mail: ParsedMail, raw: Buffer, hostName: string, inline?: string): Original {
  const att = part(mail, 'message/rfc822') ?? part(mail, 'text/rfc822-headers');
  const headers = headerBlock(att ? text(att) : (rawOriginal(raw.toString('latin1')) ?? inline ?? ''));
  const jobId = headerValue(headers, 'x-job');
  return { headers, trace: ownTrace(headers, hostName), ...(jobId !== undefined ? { jobId } : {}) };
}

function feedback(mail: ParsedMail, input: ReportInput): ReportResult {
  const report = part(mail, 'message/feedback-report');
  if (!report) return { ok: false, reason: 'no message/feedback-report part (not an ARF report)', notReport: true };
  const f = fieldGroups(text(report))[0] ?? new Map<string, string>();
  const feedbackType = f.get('feedback-type');
  if (!feedbackType) return { ok: false, reason: 'the feedback report has no Feedback-Type' };
  const original = originalOf(mail, input.raw, input.hostName);
  const h = original.headers;
  return {
    ok: true,
    kind: 'fbl',
    original,
    record: {
      type: 'f',
      timeLogged: input.logged,
      format: 'arf',
      feedbackType: feedbackType.toLowerCase(),
      userAgent: f.get('user-agent'),
      reportingMta: bareAddress(f.get('reporting-mta')),
      reportedDomain: f.get('reported-domain'),
      arrivalDate: f.get('arrival-date') ?? f.get('received-date'),
      srcIp: f.get('source-ip'),
      orig: bareAddress(f.get('original-mail-from')) ?? bareAddress(headerValue(h, 'return-path')),
      rcpt: bareAddress(f.get('original-rcpt-to')) ?? original.trace.rcpt,
      jobId: original.jobId,
      msgId: original.trace.msgId,
    },
  };
}

/** The basic reply code of a diagnostic ("smtp; 550 5.1.1 ..."), else one of the status's class. */
function replyCode(diag: string, status: string): number {
  const m = /^(?:[\w-]+\s*;\s*)?([245]\d\d)\b/.exec(diag);
  if (m) return Number(m[1]);
  return status.startsWith('4') ? 450 : 550;
}

export function remoteBounce(
  b: { rcpt: string; orcpt?: string; status: string; diag: string; action?: string; mta?: string; reportingMta?: string; envId?: string; format: string },
  input: ReportInput,
  original: Original,
): RemoteBounceRecord {
  const diag = b.diag.replace(/^[\w-]+\s*;\s*/, '');
  const c = classifyReply({ code: replyCode(b.diag, b.status), enhancedCode: b.status, text: diag, phase: 'rcpt' }, undefined, input.categories);
  return {
    type: 'rb',
    timeLogged: input.logged,
    orig: bareAddress(headerValue(original.headers, 'return-path')),
    rcpt: b.rcpt,
    orcpt: b.orcpt,
    dsnAction: b.action ?? 'failed',
    dsnStatus: b.status,
    dsnDiag: diag,
    dsnMta: b.mta,
    dsnReportingMta: b.reportingMta,
    bounceCat: c.category,
    srcType: 'smtp',
    srcMta: undefined,
    envId: b.envId,
    format: b.format,
    jobId: original.jobId,
    msgId: original.trace.msgId,
  };
}

/** RFC 3464 §2.3.3 actions: `failed` is a remote bounce (rb), the others a remote status (rs). */
const DEFAULT_STATUS: Record<string, string> = { failed: '5.0.0', delayed: '4.0.0', delivered: '2.0.0', relayed: '2.0.0', expanded: '2.0.0' };
const DSN_ACTIONS = new Set(Object.keys(DEFAULT_STATUS));

/** An rb record read as the rs record of a non-failure: a bounce category only for `delayed`. */
function remoteStatus(r: RemoteBounceRecord): RemoteStatusRecord {
  return { ...r, type: 'rs', bounceCat: r.dsnAction === 'delayed' ? r.bounceCat : undefined };
}

function dsn(mail: ParsedMail, input: ReportInput): ReportResult {
  const status = part(mail, 'message/delivery-status');
  if (!status) {
    const other = nonStandardBounce(mail);
    if (!other) return { ok: false, reason: 'neither a DSN nor a recognised bounce', notReport: true };
    const original = originalOf(mail, input.raw, input.hostName, other.inlineOriginal);
    const records = other.recipients.map((r) => remoteBounce({ ...r, format: other.format }, input, original));
    return { ok: true, kind: 'bounce', records, original };
  }
  const [perMessage = new Map<string, string>(), ...perRecipient] = fieldGroups(text(status));
  const original = originalOf(mail, input.raw, input.hostName);
  const records: (RemoteBounceRecord | RemoteStatusRecord)[] = [];
  for (const r of perRecipient) {
    const action = r.get('action')?.toLowerCase();
    const rcpt = bareAddress(r.get('final-recipient'));
    if (action === undefined || !DSN_ACTIONS.has(action) || rcpt === undefined) continue;
    const orcpt = bareAddress(r.get('original-recipient'));
    const mta = bareAddress(r.get('remote-mta'));
    const reportingMta = bareAddress(perMessage.get('reporting-mta'));
    const envId = perMessage.get('original-envelope-id');
    const record = remoteBounce(
      {
        rcpt,
        ...(orcpt ? { orcpt } : {}),
        status: (r.get('status') ?? DEFAULT_STATUS[action]!).split(/\s/)[0]!,
        diag: r.get('diagnostic-code') ?? '',
        action,
        ...(mta ? { mta } : {}),
        ...(reportingMta ? { reportingMta } : {}),
        ...(envId ? { envId } : {}),
        format: 'dsn',
      },
      input,
      original,
    );
    records.push(action === 'failed' ? record : remoteStatus(record));
  }
  if (records.length === 0 && perRecipient.length === 0) return { ok: false, reason: 'the delivery-status part names no recipient' };
  return { ok: true, kind: 'bounce', records, original };
}

/** Reads one message that arrived at a processor address of `kind`. */
export async function parseReport(kind: 'fbl' | 'bounce', input: ReportInput): Promise<ReportResult> {
  const { simpleParser } = await import('mailparser');
  let mail: ParsedMail;
  try {
    mail = await simpleParser(input.raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true, keepDeliveryStatus: true });
  } catch (err) {
    return { ok: false, reason: `unreadable MIME: ${(err as Error).message}` };
  }
  return kind === 'fbl' ? feedback(mail, input) : dsn(mail, input);
}
