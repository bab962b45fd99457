/**
 * The message checked and collected, from SMTP DATA or an HTTP injection, turned into what is queued
 * (buildMessage: VMTA choice, job id, Received) and enqueued durably. Resolves only after
 * MessageStore.enqueue returned (one MULTI: all or nothing); throws the SmtpReplyError to answer.
 */
import { hasQueueRouting, queueDomainFor, queueToTarget, type SourcePolicy, type VmtaConfig, type VmtaSelector } from '@vmta/config';
import { newMessageId, queueName, type EnqueueOptions, type MessageStore, type NewMessage, type NewRecipient } from '@vmta/queue';
import type { Logger } from 'pino';
import { buildMessage, type BuildInput } from './message-builder.js';
import type { MessageBytes } from './message-parts.js';
import { replies } from './policy/index.js';

export interface AcceptContext {
  config: VmtaConfig;
  store: MessageStore;
  selector: VmtaSelector;
  hostName: string;
}

export interface AcceptInput {
  /** One buffer or the collector's chunks: buildMessage joins them once. */
  message: MessageBytes;
  /** Where the header block ends, when the DATA collector found it (BuildInput.headerBytes). */
  headerBytes?: number;
  policy: SourcePolicy;
  localIp: string;
  mailFrom: string;
  recipients: NewRecipient[];
  received: BuildInput['received'];
  source: NewMessage['source'];
  envId?: string;
  ret?: 'FULL' | 'HDRS';
  log: Logger;
}

export interface Accepted {
  queueId: string;
  /** The queues (`domain/vmta`) the message's recipients went to, in recipient order, each once. */
  queues: string[];
}

/**
 * Recipient domains queued under another domain: queue-to (static), and the MX rollup delivery
 * recorded for the domain or its queue-to target (one HMGET, only when the config has an
 * <mx-rollup-list>). A domain
 * without a recorded rollup goes to its own queue; delivery resolves its MX and moves the mail.
 */
async function queueDomainsOf(ctx: AcceptContext, recipients: readonly NewRecipient[], vmta: string, now: number): Promise<Map<string, string>> {
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

export async function acceptMessage(ctx: AcceptContext, input: AcceptInput): Promise<Accepted> {
  const { recipients, mailFrom } = input;
  if (recipients.length === 0) throw replies.queueUnavailable();
  const queueId = newMessageId();
  const receivedAt = Date.now();
  const buildInput: BuildInput = {
    message: input.message,
    queueId,
    policy: input.policy,
    selector: ctx.selector,
    localIp: input.localIp,
    hostName: ctx.hostName,
    envelope: { mailFrom, recipients: recipients.map((r) => r.address) },
    received: input.received,
    now: new Date(receivedAt),
  };
  // Optional fields set, not spread in (`...(x ? { x } : {})`): V8's slower path, several per message.
  if (input.headerBytes !== undefined) buildInput.headerBytes = input.headerBytes;
  const built = buildMessage(ctx.config, buildInput);
  if (!built.ok) throw built.error;

  // queueId in the two lines that need it, no pino child per message (about 1 µs of CPU each, measured).
  const log = input.log;
  let queueDomains: Map<string, string>;
  try {
    queueDomains = await queueDomainsOf(ctx, recipients, built.selection.vmta, receivedAt);
    const msg: NewMessage = { mailFrom, recipients, body: built.body, vmta: built.selection.vmta, source: input.source, receivedAt };
    if (built.selection.pool) msg.vmtaPool = built.selection.pool;
    if (built.job !== undefined) msg.job = built.job;
    if (built.selection.rule !== undefined) msg.routePattern = built.selection.rule;
    if (built.priority !== undefined) msg.priority = built.priority;
    if (input.envId) msg.envId = input.envId;
    if (input.ret) msg.ret = input.ret;
    // The message and its wake marks are durable at EXEC: the reply need not wait for the tokens.
    const options: EnqueueOptions = { backgroundWake: true };
    if (queueDomains.size > 0) options.queueDomains = queueDomains;
    await ctx.store.enqueue(msg, queueId, options);
  } catch (err) {
    // heldLeft: written and neither released nor deleted; delivered at its hold's end despite the 451.
    const { code, heldLeft } = err as { code?: string; heldLeft?: boolean };
    log.warn({ event: 'enqueue-failed', queueId, code, err: (err as Error).message, ...(heldLeft ? { heldLeft } : {}) }, 'cannot queue the message');
    throw replies.queueUnavailable();
  }
  log.info(
    { event: 'message-queued', queueId, bytes: built.body.length, recipients: recipients.length, vmta: built.selection.vmta, via: built.selection.via, rule: built.selection.rule, job: built.job, priority: built.priority },
    'message queued',
  );
  const queues = [...new Set(recipients.map((r) => queueName(queueDomains.get(r.domain) ?? r.domain, built.selection.vmta)))];
  return { queueId, queues };
}
