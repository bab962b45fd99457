/**
 * DATA: collect and check the message, build what is queued, enqueue it durably. The 250 goes out only
 * after MessageStore.enqueue resolved (one MULTI: all or nothing), and carries our queue id.
 */
import { hasQueueRouting, queueDomainFor, queueToTarget, type VmtaConfig, type VmtaSelector } from '@vmta/config';
import { newMessageId, type MessageStore, type NewRecipient, type ReportStore } from '@vmta/queue';
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { maxMessageBytes } from './ehlo-features.js';
import { buildMessage } from './message-builder.js';
import { MessageCollector, type ByteBudget } from './message-collector.js';
import { receivedProtocol, replies, senderAsSent, SmtpReplyError } from './policy/index.js';
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
}

/**
 * Recipient domains queued under another domain: queue-to (static), and the MX rollup delivery
 * recorded for the domain or its queue-to target (one HMGET, only when the config has an
 * <mx-rollup-list>). A domain
 * without a recorded rollup goes to its own queue; delivery resolves its MX and moves the mail.
 */
async function queueDomainsOf(ctx: DataContext, recipients: readonly NewRecipient[], vmta: string, now: number): Promise<Map<string, string>> {
  if (!hasQueueRouting(ctx.config)) return new Map();
  const targets = new Map([...new Set(recipients.map((r) => r.domain))].map((d) => [d, queueToTarget(ctx.config, d, vmta)]));
  const rolled = ctx.config.mxRollupLists.length > 0 ? await ctx.store.rollups.lookup([...targets.values()], now) : new Map<string, string>();
  const out = new Map<string, string>();
  for (const [domain, target] of targets) {
    const queueDomain = queueDomainFor(ctx.config, domain, vmta, rolled.get(target));
    if (queueDomain !== domain) out.set(domain, queueDomain);
  }
  return out;
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
  const collected = collector.end();
  if (!collected.ok) {
    state.log.info({ event: 'message-rejected', code: collected.error.code, bytes: collected.bytes }, collected.error.response);
    throw collected.error;
  }
  const recipients = envelopeRecipients(state, session);
  if (recipients.length === 0) throw replies.queueUnavailable();
  if (state.reportKind !== undefined) {
    const from = session.envelope.mailFrom;
    return receiveReport(ctx, state, state.reportKind, { mailFrom: from ? from.address : '', rcpt: recipients.map((r) => r.address).join(',') }, collected.message);
  }

  const queueId = newMessageId();
  const receivedAt = Date.now();
  const tls = session.secure && session.tlsOptions ? { protocol: session.tlsOptions.version ?? 'TLS', cipher: session.tlsOptions.name } : undefined;
  const heloName = session.hostNameAppearsAs || 'unknown';
  const single = session.envelope.rcptTo.length === 1 ? session.envelope.rcptTo[0]?.address : undefined;
  const from = session.envelope.mailFrom;
  const smtputf8 = !!from && typeof from.args === 'object' && from.args !== null && 'SMTPUTF8' in from.args;
  const mailFrom = from ? senderAsSent(from.address, smtputf8) : '';
  const built = buildMessage(ctx.config, {
    message: collected.message,
    queueId,
    policy: state.policy,
    selector: ctx.selector,
    localIp: state.localIp,
    hostName: ctx.hostName,
    envelope: { mailFrom, recipients: recipients.map((r) => r.address) },
    received: {
      heloName,
      clientIp: state.clientIp,
      ...(session.clientHostname ? { clientHostname: session.clientHostname } : {}),
      protocol: receivedProtocol({ esmtp: session.openingCommand === 'EHLO', tls: !!tls, authenticated: state.authUser !== undefined }),
      ...(tls ? { tls } : {}),
      ...(state.authUser !== undefined ? { authUser: state.authUser } : {}),
      ...(single ? { recipient: single } : {}),
    },
    now: new Date(receivedAt),
  });
  if (!built.ok) throw built.error;

  const log = state.log.child({ queueId });
  const dsn = session.envelope.dsn;
  const ret = dsn?.ret === 'FULL' || dsn?.ret === 'HDRS' ? dsn.ret : undefined;
  try {
    const queueDomains = await queueDomainsOf(ctx, recipients, built.selection.vmta, receivedAt);
    await ctx.store.enqueue(
      {
        mailFrom,
        recipients,
        body: built.body,
        vmta: built.selection.vmta,
        ...(built.selection.pool ? { vmtaPool: built.selection.pool } : {}),
        ...(built.job !== undefined ? { job: built.job } : {}),
        ...(built.selection.rule !== undefined ? { routePattern: built.selection.rule } : {}),
        // RFC 3461 ENVID and RET, decoded from xtext by smtp-server (the line was checked: dsnParameterError).
        ...(dsn?.envid ? { envId: dsn.envid } : {}),
        ...(ret ? { ret } : {}),
        source: {
          ip: state.clientIp,
          listener: state.listener.name,
          localIp: state.localIp,
          heloName,
          ...(state.authUser !== undefined ? { authUser: state.authUser } : {}),
          ...(tls ? { tls } : {}),
        },
        receivedAt,
      },
      queueId,
      // The message and its wake marks are durable at EXEC: the 250 need not wait for the tokens.
      { backgroundWake: true, ...(queueDomains.size > 0 ? { queueDomains } : {}) },
    );
  } catch (err) {
    log.warn({ event: 'enqueue-failed', code: (err as { code?: string }).code, err: (err as Error).message }, 'cannot queue the message');
    throw replies.queueUnavailable();
  }
  log.info(
    { event: 'message-queued', bytes: built.body.length, recipients: recipients.length, vmta: built.selection.vmta, via: built.selection.via, rule: built.selection.rule, job: built.job },
    'message queued',
  );
  return `2.0.0 OK queued as ${queueId}`;
}

export function isReplyError(err: unknown): err is SmtpReplyError {
  return err instanceof SmtpReplyError;
}
