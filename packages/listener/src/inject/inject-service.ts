/**
 * One injected message through the SMTP path's own stages, as an authenticated session of the
 * `http-inject` listener would: checkMailFrom, checkRcptTo (relay, max-rcpt-per-message),
 * checkSuppression, the MessageCollector's checks (max-message-size, bare CR/LF, memory budget),
 * then acceptMessage (VMTA choice, job, Received, durable enqueue). Recipients refused by policy
 * (relay, suppression) are reported and left out; a message whose every recipient is refused is an
 * error (the first refusal); a bad address refuses the whole message (400).
 */
import type { ListenerConfig, SourcePolicy } from '@vmta/config';
import type { Logger } from 'pino';
import { acceptMessage } from '../accept-message.js';
import { maxMessageBytes } from '../ehlo-features.js';
import { checkMailFrom, checkRcptTo } from '../envelope-stage.js';
import type { ListenerRuntime } from '../listener-runtime.js';
import { MessageCollector } from '../message-collector.js';
import { SmtpReplyError } from '../policy/index.js';
import { sessionPolicy, type SessionState } from '../session-state.js';
import { checkSuppression } from '../suppression-stage.js';
import { fromReply, InjectError } from './inject-error.js';

export const INJECT_HELO = 'http-inject';

export interface InjectClient {
  requestId: string;
  user: string;
  clientIp: string;
  localIp: string;
  listener: ListenerConfig;
  log: Logger;
}

export interface InjectEnvelope {
  mailFrom: string;
  /** Each address with the request field it came from, for error reports. */
  recipients: ReadonlyArray<{ address: string; field: string }>;
  /** The request field of the sender. */
  fromField: string;
}

export interface RefusedRecipient {
  email: string;
  field: string;
  code: string;
  status: number;
  message: string;
}

export interface InjectedMessage {
  id: string;
  queues: string[];
  recipients: string[];
  refused: RefusedRecipient[];
}

export function injectPolicy(rt: ListenerRuntime, client: InjectClient): SourcePolicy {
  return sessionPolicy(rt.config, client.clientIp, client.listener, client.user);
}

function newState(rt: ListenerRuntime, client: InjectClient): SessionState {
  return {
    id: client.requestId,
    log: client.log,
    listener: client.listener,
    clientIp: client.clientIp,
    localIp: client.localIp,
    policy: injectPolicy(rt, client),
    authUser: client.user,
    recipients: new Map(),
    junkCommands: 0,
    commandErrors: 0,
  };
}

function refusal(reply: SmtpReplyError, email: string, field: string): RefusedRecipient {
  const e = fromReply(reply, field);
  return { email, field, code: e.code, status: e.status, message: e.message };
}

export async function injectMessage(rt: ListenerRuntime, client: InjectClient, envelope: InjectEnvelope, message: Buffer): Promise<InjectedMessage> {
  const state = newState(rt, client);
  const fromError = checkMailFrom(state, { address: envelope.mailFrom, args: false });
  if (fromError) throw fromReply(fromError, envelope.fromField);

  const refused: RefusedRecipient[] = [];
  for (const { address, field } of envelope.recipients) {
    const key = address.toLowerCase();
    const error = checkRcptTo(rt.config, state, { address, args: false }, state.recipients.size, rt.hostName, (a) => rt.addressLists.processorFor(rt.config, a))
      ?? (await checkSuppression({ config: rt.config, addressLists: rt.addressLists, suppressions: rt.suppressions }, state, key));
    if (!error) continue;
    const one = refusal(error, address, field);
    // Bad input (address syntax, too many recipients) and an unavailable store refuse the whole request.
    if (one.status === 400 || one.status >= 500) throw fromReply(error, field);
    refused.push(one);
  }
  const accepted = [...state.recipients.values()];
  if (accepted.length === 0) {
    const first = refused[0];
    throw first ? new InjectError(first.status, first.code, first.message, first.field) : new InjectError(400, 'no-recipients', 'no recipients', 'recipients');
  }

  const collector = new MessageCollector({ maxBytes: maxMessageBytes(state.policy), maxHeaderBytes: rt.limits.maxHeaderBytes, budget: rt.dataBudget });
  try {
    collector.push(message);
    const collected = collector.end();
    if (!collected.ok) throw fromReply(collected.error, 'message');
    const done = await acceptMessage(rt, {
      message: collected.message,
      policy: state.policy,
      localIp: client.localIp,
      mailFrom: envelope.mailFrom,
      recipients: accepted,
      received: {
        heloName: INJECT_HELO,
        clientIp: client.clientIp,
        protocol: 'HTTP',
        authUser: client.user,
        ...(accepted.length === 1 ? { recipient: accepted[0]!.address } : {}),
      },
      source: { ip: client.clientIp, listener: client.listener.name, localIp: client.localIp, heloName: INJECT_HELO, authUser: client.user },
      log: client.log,
    });
    return { id: done.queueId, queues: done.queues, recipients: accepted.map((r) => r.address), refused };
  } catch (err) {
    if (err instanceof InjectError) throw err;
    if (err instanceof SmtpReplyError) throw fromReply(err);
    throw err;
  } finally {
    collector.release();
  }
}
