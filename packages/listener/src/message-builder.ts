/**
 * The message as it is queued (pure): the VMTA chosen from the X-Virtual-MTA header, the source's
 * <pattern-list> or the source default, that header removed unless retain-x-virtual-mta; the job id
 * (X-Job with process-x-job, removed unless retain-x-job, or the jobid-header); the Received fields it came with removed
 * (remove-received-headers, after the max-message-hops count); our Received field prepended (add-received-header), and
 * Message-ID and Date added when missing. Everything else stays byte-identical. A message that already
 * carries max-message-hops Received headers is refused as a mail loop.
 */
import type { SourcePolicy, VmtaConfig, VmtaSelector } from '@vmta/config';
import {
  buildReceivedHeader,
  countHeaders,
  dateHeader,
  encodeHeader,
  getHeader,
  hasHeader,
  headerAt,
  jobOfMessage,
  matchPatternList,
  messageIdHeader,
  parseHeader,
  removeHeaders,
  replies,
  selectVirtualMta,
  splitHeader,
  X_JOB,
  type ReceivedProtocol,
  type SmtpReplyError,
  type VmtaSelection,
  type VmtaSelectionInput,
} from './policy/index.js';
import { chunksFrom, chunksOf, joinMessage, latin1Prefix, type MessageBytes } from './message-parts.js';

export interface BuildInput {
  /** One buffer, or the chunks as collected (joined here, once, with our fields in front). */
  message: MessageBytes;
  /** Where the header block ends (its empty line included), when the DATA collector saw it; else it is searched for. */
  headerBytes?: number;
  queueId: string;
  policy: SourcePolicy;
  selector: VmtaSelector;
  localIp: string;
  hostName: string;
  /** MAIL FROM as queued and the accepted recipients: what <pattern-list> rules match. */
  envelope: { mailFrom: string; recipients: readonly string[] };
  received: {
    heloName: string;
    clientIp: string;
    clientHostname?: string;
    protocol: ReceivedProtocol;
    tls?: { protocol: string; cipher: string };
    authUser?: string;
    /** Set only when the message has exactly one recipient. */
    recipient?: string;
  };
  now: Date;
}

/** `priority`: recipient-priority= of the matching <pattern-list> rule, also when X-Virtual-MTA chose the VMTA (as in PowerMTA). */
export type BuildResult = { ok: true; body: Buffer; selection: VmtaSelection; job?: string; priority?: number } | { ok: false; error: SmtpReplyError };

const X_VIRTUAL_MTA = 'X-Virtual-MTA';

export function buildMessage(config: VmtaConfig, input: BuildInput): BuildResult {
  // The header block is cut (where the DATA collector saw it end, when it did) and split into fields once;
  // every look-up below reads those fields.
  let chunks = chunksOf(input.message);
  let header: string;
  let bodyOffset: number;
  if (input.headerBytes === undefined) {
    const whole = joinMessage(input.message);
    chunks = [whole];
    ({ header, bodyOffset } = splitHeader(whole));
  } else {
    ({ header, bodyOffset } = chunks.length === 1 ? headerAt(chunks[0]!, input.headerBytes) : { header: latin1Prefix(chunks, input.headerBytes), bodyOffset: input.headerBytes });
  }
  const fields = parseHeader(header);
  const maxHops = input.policy['max-message-hops'];
  if (typeof maxHops === 'number' && maxHops > 0) {
    const hops = countHeaders(fields, 'Received');
    if (hops >= maxHops) return { ok: false, error: replies.mailLoop(hops) };
  }
  const job = jobOfMessage(fields, input.policy, input.received.authUser);
  if ('error' in job) return { ok: false, error: job.error };
  const vmtaHeader = getHeader(fields, X_VIRTUAL_MTA);
  const pattern = matchPatternList(config, input.policy['pattern-list'], { mailFrom: input.envelope.mailFrom, recipients: input.envelope.recipients, header: fields });
  // Optional fields set, not spread in (`...(x ? { x } : {})`): V8's slower path, per message.
  const selectionInput: VmtaSelectionInput = { source: input.policy, localAddress: input.localIp, selector: input.selector };
  if (vmtaHeader !== undefined) selectionInput.header = vmtaHeader;
  if (pattern) selectionInput.pattern = pattern;
  const selection = selectVirtualMta(config, selectionInput);
  if ('error' in selection) return { ok: false, error: selection.error };

  const removed: string[] = [];
  if (input.policy['retain-x-virtual-mta'] !== true && vmtaHeader !== undefined) removed.push(X_VIRTUAL_MTA);
  if (job.removeXJob) removed.push(X_JOB);
  if (input.policy['remove-received-headers'] === true) removed.push('Received');
  const newHeader = removed.length > 0 ? removeHeaders(fields, removed) : header;

  let added = '';
  if (input.policy['add-received-header'] !== false) {
    // Object.assign, not `{ ...input.received, … }`: V8's slower path for that spread (message-store.ts).
    added += buildReceivedHeader(
      Object.assign({}, input.received, { hostName: input.hostName, queueId: input.queueId, date: input.now, hideSource: input.policy['hide-message-source'] === true }),
    );
  }
  if (!hasHeader(fields, 'Message-ID')) added += messageIdHeader(input.queueId, input.hostName);
  if (!hasHeader(fields, 'Date')) added += dateHeader(input.now);

  // The one join of the message's bytes in the listener: our fields, the header (as it came, or rebuilt), the rest.
  const parts = newHeader === header ? [encodeHeader(added), ...chunks] : [encodeHeader(added), encodeHeader(newHeader), ...chunksFrom(chunks, bodyOffset)];
  const priority = pattern?.recipientPriority;
  const result: BuildResult & { ok: true } = { ok: true, body: Buffer.concat(parts), selection };
  if (job.job !== undefined) result.job = job.job;
  if (priority !== undefined) result.priority = priority;
  return result;
}
