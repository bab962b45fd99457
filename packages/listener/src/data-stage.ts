/**
 * DATA: collect and check the message, build what is queued, enqueue it durably. The 250 goes out only
 * after MessageStore.enqueue resolved (one MULTI: all or nothing), and carries our queue id.
 */
import type { VmtaConfig, VmtaSelector } from '@vmta/config';
import type { MessageStore, NewRecipient, ReportStore } from '@vmta/queue';
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { maxMessageBytes } from './ehlo-features.js';
import { acceptMessage, type AcceptInput } from './accept-message.js';
import { MessageCollector, type ByteBudget } from './message-collector.js';
import { joinMessage, type MessageParts } from './message-parts.js';
import { declaresSmtputf8, receivedProtocol, replies, senderAsSent, SmtpReplyError } from './policy/index.js';
import { receiveReport } from './report-stage.js';
import type { SessionState } from './session-state.js';

export interface DataContext {
  config: VmtaConfig;
  store: MessageStore;
  selector: VmtaSelector;
  hostName: string;
  maxHeaderBytes: number;
  budget?: ByteBudget;
  /** The feedback loop and bounce processors' store (report-stage.ts). */
  reports?: ReportStore | undefined;
  /** True once smtp-data-timeout cut this DATA: the message is then never queued, whatever arrived. */
  dataCut?: () => boolean;
}

/** Reads the whole stream (always to its end), checking it as it comes. */
export function collect(stream: SMTPServerDataStream, collector: MessageCollector): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => collector.push(chunk));
    stream.once('end', () => resolve());
    stream.once('error', reject);
  });
}

function envelopeRecipients(state: SessionState, session: SMTPServerSession): NewRecipient[] {
  const out: NewRecipient[] = [];
  for (const r of session.envelope.rcptTo) {
    const known = state.recipients.get(r.address.toLowerCase());
    if (known) out.push(known);
  }
  return out;
}

/** The reply text of a 250 (smtp-server adds "250 "), or throws the SmtpReplyError to send. */
export async function receiveMessage(
  ctx: DataContext,
  state: SessionState,
  session: SMTPServerSession,
  stream: SMTPServerDataStream,
): Promise<string> {
  const collector = new MessageCollector({ maxBytes: maxMessageBytes(state.policy), maxHeaderBytes: ctx.maxHeaderBytes, budget: ctx.budget });
  try {
    return await receiveCollected(ctx, state, session, stream, collector);
  } finally {
    collector.release();
  }
}

async function receiveCollected(
  ctx: DataContext,
  state: SessionState,
  session: SMTPServerSession,
  stream: SMTPServerDataStream,
  collector: MessageCollector,
): Promise<string> {
  await collect(stream, collector);
  if (ctx.dataCut?.()) throw replies.dataTimeout(ctx.hostName);
  const collected = collector.end();
  if (!collected.ok) {
    state.log.info({ event: 'message-rejected', code: collected.error.code, bytes: collected.bytes }, collected.error.response);
    throw collected.error;
  }
  const recipients = envelopeRecipients(state, session);
  if (recipients.length === 0) throw replies.queueUnavailable();
  if (state.reportKind !== undefined) {
    const from = session.envelope.mailFrom;
    const forward = (to: NewRecipient[]) => queueCollected(ctx, state, session, collected, to);
    return receiveReport(ctx, state, state.reportKind, { mailFrom: from ? from.address : '', recipients }, joinMessage(collected.message), forward);
  }
  const queueId = await queueCollected(ctx, state, session, collected, recipients);
  return `2.0.0 OK queued as ${queueId}`;
}

/** The collected message through the durable enqueue (acceptMessage) to `recipients`; its queue id. */
async function queueCollected(
  ctx: DataContext,
  state: SessionState,
  session: SMTPServerSession,
  { message, headerBytes }: { message: MessageParts; headerBytes: number },
  recipients: NewRecipient[],
): Promise<string> {
  const tls = session.secure && session.tlsOptions ? { protocol: session.tlsOptions.version ?? 'TLS', cipher: session.tlsOptions.name } : undefined;
  const heloName = session.hostNameAppearsAs || 'unknown';
  const single = session.envelope.rcptTo.length === 1 ? session.envelope.rcptTo[0]?.address : undefined;
  const from = session.envelope.mailFrom;
  const smtputf8 = declaresSmtputf8(from);
  const dsn = session.envelope.dsn;
  const ret = dsn?.ret === 'FULL' || dsn?.ret === 'HDRS' ? dsn.ret : undefined;
  // Optional fields set one by one, not spread in (`...(x ? { x } : {})`): V8's slower path, per message.
  const received: AcceptInput['received'] = {
    heloName,
    clientIp: state.clientIp,
    protocol: receivedProtocol({ esmtp: session.openingCommand === 'EHLO', tls: !!tls, authenticated: state.authUser !== undefined }),
  };
  if (session.clientHostname) received.clientHostname = session.clientHostname;
  if (tls) received.tls = tls;
  if (state.authUser !== undefined) received.authUser = state.authUser;
  if (single) received.recipient = single;
  // The key order of `source` is what its stored JSON shows: as it was.
  const source: AcceptInput['source'] = { ip: state.clientIp, listener: state.listener.name, localIp: state.localIp, heloName };
  if (state.authUser !== undefined) source.authUser = state.authUser;
  if (tls) source.tls = tls;
  const input: AcceptInput = {
    message,
    headerBytes,
    policy: state.policy,
    localIp: state.localIp,
    mailFrom: from ? senderAsSent(from.address, smtputf8) : '',
    recipients,
    received,
    source,
    log: state.log,
  };
  // RFC 3461 ENVID and RET, decoded from xtext by smtp-server (the line was checked: esmtpParameterError).
  if (dsn?.envid) input.envId = dsn.envid;
  if (ret) input.ret = ret;
  const { queueId } = await acceptMessage(ctx, input);
  return queueId;
}

export function isReplyError(err: unknown): err is SmtpReplyError {
  return err instanceof SmtpReplyError;
}
