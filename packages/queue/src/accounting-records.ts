/**
 * Accounting records, the one definition: the fields of each record type, named and ordered as in
 * PowerMTA's accounting file, the builders of the records vmta writes, and their serialisation to
 * the flat field/value list of an accounting stream entry. The listener writes `r` records (in the
 * enqueue script), delivery writes `d`, `b` and `t` (with the outcomes); the accounting writer
 * turns stream entries into CSV lines with these field lists as its default columns.
 */
import type { MessageHead, NewMessage, RecipientRecord } from './message.js';

/**
 * Record types of the accounting file: received, delivered, bounced, transient (deferred), transient-queue
 * (a whole queue failed: delivery's retry mode), feedback, remote bounce, remote status (a late DSN that
 * is not a failure: delayed, delivered, relayed, expanded).
 */
export type AccountingRecordType = 'r' | 'd' | 'b' | 't' | 'tq' | 'f' | 'rb' | 'rs';

/** Fields of r records, in the reference's order. */
export const RECEIVED_FIELDS = [
  'type', 'timeLogged', 'orig', 'rcpt', 'orcpt', 'srcType', 'srcMta', 'rcvSourceIp', 'rcvDestinationIp',
  'vmta', 'vmtaPool', 'jobId', 'envId', 'rcvSmtpUser', 'routePattern', 'msgId',
] as const;

/** Fields of d, b and t records, in the reference's order. */
export const DELIVERY_FIELDS = [
  'type', 'timeLogged', 'timeQueued', 'orig', 'rcpt', 'orcpt', 'dsnAction', 'dsnStatus', 'dsnDiag',
  'dsnMta', 'bounceCat', 'srcType', 'srcMta', 'dlvType', 'dlvSourceIp', 'dlvDestinationIp', 'dlvEsmtpAvailable',
  'dlvSize', 'vmta', 'jobId', 'envId', 'queue', 'vmtaPool', 'dlvTlsProtocol', 'dlvTlsCipher', 'rcvSmtpUser',
  'replyPattern', 'msgId',
] as const;

/**
 * Fields of f (feedback loop) records, the reference's names: the ARF report's Feedback-Type, User-Agent,
 * Reporting-MTA, Reported-Domain, Arrival-Date and Source-IP; the original's sender and recipient and its
 * job; our queue id of the original (from our Received header) and the suppression tenant (not PowerMTA
 * fields). `header_X-Name` columns come from the original message's headers when an acct-file asks.
 */
export const FEEDBACK_FIELDS = [
  'type', 'timeLogged', 'format', 'feedbackType', 'userAgent', 'reportingMta', 'reportedDomain', 'arrivalDate',
  'srcIp', 'orig', 'rcpt', 'jobId', 'msgId', 'tenant',
] as const;

/**
 * Fields of rb (remote bounce) and rs (remote status) records, in the reference's order; rb records add
 * the original's job and our queue id when its headers came back (not PowerMTA fields).
 */
export const REMOTE_STATUS_FIELDS = [
  'type', 'timeLogged', 'orig', 'rcpt', 'orcpt', 'dsnAction', 'dsnStatus', 'dsnDiag', 'dsnMta', 'dsnReportingMta',
  'bounceCat', 'srcType', 'srcMta', 'envId', 'format', 'jobId', 'msgId',
] as const;

/**
 * Fields of tq (transient queue) records, in the order of the reference's sample line: one per failure of a
 * whole queue (every host failed, DNS tempfail, defer-queue), when the queue goes into retry mode.
 */
export const TRANSIENT_QUEUE_FIELDS = [
  'type', 'timeLogged', 'dsnStatus', 'dsnDiag', 'dsnMta', 'dlvType', 'dlvSourceIp', 'dlvDestinationIp', 'vmta', 'queue',
] as const;

/**
 * Fields of s records (not a PowerMTA type): an address added to a tenant's suppression store, by
 * auto-suppression (reason = the bounce category) or an operator (`manual`). Written by the
 * suppress-add script in this order, only when the accounting stream exists (something reads it).
 */
export const SUPPRESSION_FIELDS = ['type', 'timeLogged', 'rcpt', 'tenant', 'reason', 'queue', 'dsnDiag', 'expires'] as const;

/** An `r` record: a recipient accepted by the listener. Every field is written (undefined as empty). */
export interface ReceivedRecord {
  type: 'r';
  timeLogged: string;
  orig: string;
  rcpt: string;
  orcpt: string | undefined;
  srcType: 'smtp';
  srcMta: string | undefined;
  rcvSourceIp: string;
  rcvDestinationIp: string | undefined;
  vmta: string;
  vmtaPool: string | undefined;
  /** The job id (X-Job, jobid-header); empty when the message has none. */
  jobId: string | undefined;
  envId: string | undefined;
  rcvSmtpUser: string | undefined;
  /** The <pattern-list> rule (file:line) that chose the VMTA, if one did (not a PowerMTA field). */
  routePattern: string | undefined;
  /** Our queue id of the message (not a PowerMTA field). */
  msgId: string;
}

/** The outcome of a delivery attempt for one recipient, and the record type it is logged as. */
export type DeliveryOutcome = 'delivered' | 'bounced' | 'deferred';
export const DELIVERY_RECORD_TYPE = { delivered: 'd', bounced: 'b', deferred: 't' } as const satisfies Record<DeliveryOutcome, AccountingRecordType>;

/**
 * A `d`, `b` or `t` record: the outcome of an attempt for one recipient. The optional fields are
 * not produced yet: they stay out of the stream entry, and their CSV columns stay empty.
 */
export interface DeliveryRecord {
  type: (typeof DELIVERY_RECORD_TYPE)[DeliveryOutcome];
  timeLogged: string;
  timeQueued: string;
  orig: string;
  rcpt: string;
  orcpt: string | undefined;
  dsnAction: 'relayed' | 'failed' | 'delayed';
  dsnStatus: string;
  dsnDiag: string;
  dsnMta?: string;
  bounceCat: string | undefined;
  srcType: 'smtp';
  srcMta: string | undefined;
  dlvType?: string;
  dlvSourceIp: string | undefined;
  dlvDestinationIp: string | undefined;
  dlvEsmtpAvailable?: string;
  dlvSize: number;
  vmta: string;
  /** The job id (X-Job, jobid-header); empty when the message has none. */
  jobId: string | undefined;
  envId: string | undefined;
  queue: string;
  vmtaPool: string | undefined;
  dlvTlsProtocol: string | undefined;
  dlvTlsCipher: string | undefined;
  rcvSmtpUser: string | undefined;
  /** The smtp-pattern-list rule (file:line) that matched the reply, if one did (not a PowerMTA field). */
  replyPattern?: string;
  /** Our queue id of the message (not a PowerMTA field). */
  msgId: string;
}

/** An `f` record: one ARF report (RFC 5965) received by the feedback loop processor. */
export interface FeedbackRecord {
  type: 'f';
  timeLogged: string;
  /** `arf`. */
  format: string;
  feedbackType: string;
  userAgent: string | undefined;
  reportingMta: string | undefined;
  reportedDomain: string | undefined;
  arrivalDate: string | undefined;
  srcIp: string | undefined;
  orig: string | undefined;
  rcpt: string | undefined;
  jobId: string | undefined;
  msgId: string | undefined;
  /** Whose suppression store the complaint went to, if it went to one. */
  tenant: string | undefined;
}

/** An `rb` record: one failed recipient of a remote (asynchronous) bounce received by the bounce processor. */
export interface RemoteBounceRecord {
  type: 'rb';
  timeLogged: string;
  orig: string | undefined;
  rcpt: string;
  orcpt: string | undefined;
  dsnAction: string;
  dsnStatus: string;
  dsnDiag: string;
  dsnMta: string | undefined;
  dsnReportingMta: string | undefined;
  bounceCat: string;
  srcType: 'smtp';
  srcMta: string | undefined;
  envId: string | undefined;
  /** `dsn` (RFC 3464) or the name of the non-standard pattern that recognised it. */
  format: string;
  jobId: string | undefined;
  msgId: string | undefined;
}

/**
 * An `rs` record: one recipient of a late DSN whose action is not `failed` (delayed, delivered, relayed,
 * expanded), received by the bounce processor. Same fields as rb; a bounce category only for `delayed`.
 */
export interface RemoteStatusRecord extends Omit<RemoteBounceRecord, 'type' | 'bounceCat'> {
  type: 'rs';
  bounceCat: string | undefined;
}

/** A `tq` record: a whole queue failed (no recipient's reply): it goes into retry mode. */
export interface TransientQueueRecord {
  type: 'tq';
  timeLogged: string;
  dsnStatus: string;
  dsnDiag: string;
  /** The remote host, `name (ip)`, when a host answered or was tried. */
  dsnMta: string | undefined;
  /** `smtp`. */
  dlvType: string;
  dlvSourceIp: string | undefined;
  dlvDestinationIp: string | undefined;
  vmta: string;
  queue: string;
}

export type AccountingRecord = ReceivedRecord | DeliveryRecord | FeedbackRecord | RemoteBounceRecord | RemoteStatusRecord | TransientQueueRecord;

// Each list names exactly the fields of its interface (a compile error otherwise).
type SameFields<R, L extends readonly string[]> = [Exclude<keyof R, L[number]>, Exclude<L[number], keyof R>] extends [never, never] ? true : false;
const fieldListsMatch: [
  SameFields<ReceivedRecord, typeof RECEIVED_FIELDS>,
  SameFields<DeliveryRecord, typeof DELIVERY_FIELDS>,
  SameFields<FeedbackRecord, typeof FEEDBACK_FIELDS>,
  SameFields<RemoteBounceRecord, typeof REMOTE_STATUS_FIELDS>,
  SameFields<RemoteStatusRecord, typeof REMOTE_STATUS_FIELDS>,
  SameFields<TransientQueueRecord, typeof TRANSIENT_QUEUE_FIELDS>,
] = [true, true, true, true, true, true];
void fieldListsMatch;

/** The fields of a record type, in the reference's order. */
export function accountingFields(type: AccountingRecordType): readonly string[] {
  if (type === 'rb' || type === 'rs') return REMOTE_STATUS_FIELDS;
  if (type === 'tq') return TRANSIENT_QUEUE_FIELDS;
  return type === 'r' ? RECEIVED_FIELDS : type === 'f' ? FEEDBACK_FIELDS : DELIVERY_FIELDS;
}

/** The `r` record of one recipient of a message being enqueued as `id`. */
export function receivedRecord(id: string, msg: NewMessage, recipient: RecipientRecord, logged: string): ReceivedRecord {
  return {
    type: 'r',
    timeLogged: logged,
    orig: msg.mailFrom,
    rcpt: recipient.address,
    orcpt: recipient.orcpt,
    srcType: 'smtp',
    srcMta: msg.source.heloName,
    rcvSourceIp: msg.source.ip,
    rcvDestinationIp: msg.source.localIp,
    vmta: msg.vmta,
    vmtaPool: msg.vmtaPool,
    jobId: msg.job,
    envId: msg.envId,
    rcvSmtpUser: msg.source.authUser,
    routePattern: msg.routePattern,
    msgId: id,
  };
}

/** What a tq record says: why the queue failed, and where the attempt went if it reached a host. */
export interface QueueFailureFacts {
  dsnStatus: string;
  dsnDiag: string;
  dsnMta?: string;
  sourceIp?: string;
  destinationIp?: string;
}

/** The `tq` record of a failure of queue `queue` (of VMTA `vmta`), logged at `logged` (ISO time). */
export function transientQueueRecord(queue: string, vmta: string, facts: QueueFailureFacts, logged: string): TransientQueueRecord {
  return {
    type: 'tq',
    timeLogged: logged,
    dsnStatus: facts.dsnStatus,
    dsnDiag: facts.dsnDiag,
    dsnMta: facts.dsnMta,
    dlvType: 'smtp',
    dlvSourceIp: facts.sourceIp,
    dlvDestinationIp: facts.destinationIp,
    vmta,
    queue,
  };
}

/** What a delivery record says about one attempt, beyond the message and the recipient. */
export interface DeliveryAttempt {
  outcome: DeliveryOutcome;
  /** The enhanced status code of the reply, else its reply code. */
  dsnStatus: string;
  /** The reply text. */
  dsnDiag: string;
  /** Bounce category (not for a delivery). */
  bounceCat?: string;
  queue: string;
  /** The VMTA whose connection made the attempt, when not the message's (reroute-to-virtual-mta): the record's `vmta`. */
  vmta?: string;
  sourceIp?: string;
  destinationIp?: string;
  tls?: { protocol: string; cipher: string };
  /** The smtp-pattern-list rule (file:line) that matched the reply. */
  replyPattern?: string;
}

const DSN_ACTION = { delivered: 'relayed', bounced: 'failed', deferred: 'delayed' } as const satisfies Record<DeliveryOutcome, DeliveryRecord['dsnAction']>;

/** The `d`, `b` or `t` record of one attempt for one recipient, logged at `logged` (ISO time). */
export function deliveryRecord(message: MessageHead, recipient: RecipientRecord, attempt: DeliveryAttempt, logged: string): DeliveryRecord {
  return {
    type: DELIVERY_RECORD_TYPE[attempt.outcome],
    timeLogged: logged,
    timeQueued: new Date(message.receivedAt).toISOString(),
    orig: message.mailFrom,
    rcpt: recipient.address,
    orcpt: recipient.orcpt,
    dsnAction: DSN_ACTION[attempt.outcome],
    dsnStatus: attempt.dsnStatus,
    dsnDiag: attempt.dsnDiag,
    bounceCat: attempt.bounceCat,
    srcType: 'smtp',
    srcMta: message.source.heloName,
    dlvSourceIp: attempt.sourceIp,
    dlvDestinationIp: attempt.destinationIp,
    dlvSize: message.size,
    vmta: attempt.vmta ?? message.vmta,
    jobId: message.job,
    envId: message.envId,
    queue: attempt.queue,
    vmtaPool: message.vmtaPool,
    dlvTlsProtocol: attempt.tls?.protocol,
    dlvTlsCipher: attempt.tls?.cipher,
    rcvSmtpUser: message.source.authUser,
    ...(attempt.replyPattern !== undefined ? { replyPattern: attempt.replyPattern } : {}),
    msgId: message.id,
  };
}

/**
 * A record as the flat `[field, value, ...]` list of a stream entry, in its type's field order:
 * every field the record carries, undefined as ''. Fields it does not carry stay out.
 */
export function serializeRecord(record: AccountingRecord): string[] {
  return serializeRecordWith(record);
}

/** serializeRecord, plus `header_NAME` values the acct-files ask for. */
export function serializeRecordWith(record: AccountingRecord, headers?: ReadonlyMap<string, string>): string[] {
  const values = record as unknown as Record<string, string | number | undefined>;
  const out: string[] = [];
  for (const field of accountingFields(record.type)) {
    if (field in values) out.push(field, values[field] === undefined ? '' : String(values[field]));
  }
  // `header_X-Name` columns an acct-file asks for (f and rb records: the original message's headers).
  for (const [name, value] of headers ?? []) out.push(`header_${name}`, value);
  return out;
}
