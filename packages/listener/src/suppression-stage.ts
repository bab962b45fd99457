/**
 * RCPT TO after the envelope checks accepted the recipient: the source's `suppression-lists`
 * (in memory) and then the tenant's suppression store (one HGET). A suppressed recipient gets
 * 550 5.7.1 and is taken out of the transaction again; with the source's `accept-invalid-recipients
 * yes` it is accepted instead, marked `refused` with that reply: delivery bounces it (b record, DSN)
 * and never delivers it.
 */
import { suppressingList, suppressionTenant, type VmtaConfig } from '@vmta/config';
import type { SuppressionStore } from '@vmta/queue';
import type { AddressLists } from './address-lists.js';
import { replies, type SmtpReplyError } from './policy/index.js';
import type { SessionState } from './session-state.js';

export interface SuppressionContext {
  config: VmtaConfig;
  addressLists: AddressLists;
  suppressions?: SuppressionStore | undefined;
}

export async function checkSuppression(ctx: SuppressionContext, state: SessionState, key: string): Promise<SmtpReplyError | undefined> {
  const rcpt = state.recipients.get(key);
  if (!rcpt || state.reportKind !== undefined) return undefined;
  const refuse = (err: SmtpReplyError): SmtpReplyError | undefined => {
    const accept = state.policy['accept-invalid-recipients'] === true;
    state.log.info({ event: 'rcpt-suppressed', rcpt: rcpt.address, reply: err.response, ...(accept ? { accepted: true } : {}) }, 'recipient suppressed');
    if (!accept) {
      state.recipients.delete(key);
      return err;
    }
    state.recipients.set(key, { ...rcpt, refused: { code: err.responseCode, enhancedCode: err.enhancedCode, text: err.text } });
    return undefined;
  };
  const list = suppressingList(ctx.addressLists.named(state.policy['suppression-lists']), rcpt.address);
  if (list !== undefined) return refuse(replies.recipientSuppressed(rcpt.address, list));
  if (!ctx.suppressions || ctx.config.global.settings['use-suppression-store'] === false) return undefined;
  const tenant = suppressionTenant(ctx.config, { authUser: state.authUser, listener: state.listener.name });
  let found;
  try {
    found = await ctx.suppressions.lookup(tenant, rcpt.address);
  } catch (err) {
    state.recipients.delete(key);
    state.log.warn({ event: 'suppression-lookup-failed', err: (err as Error).message }, 'suppression store lookup failed');
    return replies.queueUnavailable();
  }
  return found ? refuse(replies.recipientSuppressed(rcpt.address, undefined, found.reason)) : undefined;
}
