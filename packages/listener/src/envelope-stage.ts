/**
 * MAIL FROM and RCPT TO: thin adapters over the pure policy. Each returns the SmtpReplyError to send, or
 * undefined to accept. The null sender and the domainless `postmaster` recipient are handled here, before
 * the address analysis (which treats them as invalid).
 */
import { processorFor, type ProcessorKind, type VmtaConfig } from '@vmta/config';
import type { NewRecipient } from '@vmta/queue';
import type { SMTPServerAddress } from 'smtp-server';
import { maxMessageBytes } from './ehlo-features.js';
import { analyzeAddress, relayDecision, replies, SmtpReplyError } from './policy/index.js';
import type { SessionState } from './session-state.js';

export function checkMailFrom(state: SessionState, address: SMTPServerAddress): SmtpReplyError | undefined {
  if (state.policy['require-auth'] && state.authUser === undefined) return replies.authRequired();
  const max = maxMessageBytes(state.policy);
  const declared = address.args && typeof address.args === 'object' ? (address.args as Record<string, unknown>)['SIZE'] : undefined;
  if (max !== undefined && typeof declared === 'string' && Number(declared) > max) return replies.messageTooBig(max);
  state.recipients.clear();
  delete state.reportKind;
  if (address.address === '') return undefined;
  try {
    analyzeAddress(address.address, { role: 'sender' });
  } catch (err) {
    if (err instanceof SmtpReplyError) return err;
    throw err;
  }
  return undefined;
}

/** A `limit` directive's value as a number, or undefined when unlimited (`unlimited` or 0). */
export function countLimit(value: number | 'unlimited' | undefined): number | undefined {
  return typeof value === 'number' && value > 0 ? value : undefined;
}

/** Where mail to the bare `postmaster` goes: the configured postmaster, else postmaster@host-name. */
function postmasterRecipient(config: VmtaConfig, hostName: string): NewRecipient {
  const configured = config.global.settings.postmaster;
  if (typeof configured === 'string' && configured.includes('@')) {
    const a = analyzeAddress(configured);
    return { address: a.address, domain: a.domain };
  }
  const domain = hostName.toLowerCase();
  return { address: `postmaster@${domain}`, domain };
}

export function checkRcptTo(
  config: VmtaConfig,
  state: SessionState,
  address: SMTPServerAddress,
  acceptedSoFar: number,
  hostName: string,
  /** Which processor takes mail for an address (the listener's AddressLists reads their address-files). */
  processorOf: (address: string) => ProcessorKind | undefined = (a) => processorFor(config, a),
): SmtpReplyError | undefined {
  const key = address.address.toLowerCase();
  const max = countLimit(state.policy['max-rcpt-per-message']);
  if (max !== undefined && acceptedSoFar >= max && !state.recipients.has(key)) return replies.tooManyRecipients();
  // RFC 5321 §4.5.1: "postmaster" without a domain must be accepted.
  if (key === 'postmaster') {
    if (state.reportKind !== undefined) return replies.processorApart();
    state.recipients.set(key, postmasterRecipient(config, hostName));
    return undefined;
  }
  // Mail for a processor address is inbound mail for us, from anyone: processed at DATA, never relayed.
  const processor = processorOf(address.address);
  const apart = (): boolean => state.recipients.size > 0 && state.reportKind !== processor && !state.recipients.has(key);
  if (processor !== undefined) {
    if (apart()) return replies.processorApart();
    let a;
    try {
      a = analyzeAddress(address.address);
    } catch (err) {
      if (err instanceof SmtpReplyError) return err;
      throw err;
    }
    state.reportKind = processor;
    state.recipients.set(key, { address: a.address, domain: a.domain });
    return undefined;
  }
  const decision = relayDecision(config, { address: address.address, authenticated: state.authUser !== undefined, source: state.policy });
  if (!decision.allowed) return decision.error;
  if (apart()) return replies.processorApart();
  // Object.assign, not a spread into the literal: V8's slower path, once per RCPT (message-store.ts).
  state.recipients.set(key, Object.assign({ address: decision.address.address, domain: decision.address.domain }, recipientDsn(address)));
  return undefined;
}

/**
 * The recipient's DSN parameters as smtp-server decoded them from the line esmtpParameterError checked:
 * NOTIFY upper case, ORCPT "addr-type;address" (RFC 3461 §4.1, §4.2).
 */
export function recipientDsn(address: SMTPServerAddress): Pick<NewRecipient, 'notify' | 'orcpt'> {
  const dsn = address.dsn;
  const out: Pick<NewRecipient, 'notify' | 'orcpt'> = {};
  if (dsn?.notify !== undefined && dsn.notify.length > 0) out.notify = dsn.notify.map((v) => v.toUpperCase());
  if (dsn?.orcpt) out.orcpt = dsn.orcpt;
  return out;
}
