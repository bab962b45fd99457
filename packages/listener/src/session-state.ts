/**
 * What the listener knows about one SMTP session beyond smtp-server's own session object: the listener,
 * the merged source policy (per client IP and listener source, recomputed after AUTH) and the accepted
 * recipients of the current transaction. Kept in a map by session id, removed when the session closes.
 */
import { sourcePolicy, type ListenerConfig, type SourcePolicy, type VmtaConfig } from '@vmta/config';
import type { NewRecipient } from '@vmta/queue';
import type { Logger } from 'pino';

export interface SessionState {
  id: string;
  log: Logger;
  listener: ListenerConfig;
  clientIp: string;
  localIp: string;
  policy: SourcePolicy;
  authUser?: string;
  /** Accepted recipients of the current transaction by lower-cased envelope address. */
  recipients: Map<string, NewRecipient>;
  /** Ends the session when it exceeds the whole-session cap. */
  capTimer?: NodeJS.Timeout;
}

export function newSessionState(
  config: VmtaConfig,
  input: { id: string; log: Logger; listener: ListenerConfig; clientIp: string; localIp: string },
): SessionState {
  return {
    ...input,
    policy: sourcePolicy(config, input.clientIp, { listener: input.listener }).settings,
    recipients: new Map(),
  };
}

/** After a successful AUTH: the {auth} source and the user's named source now apply. */
export function authenticate(config: VmtaConfig, state: SessionState, user: string): void {
  state.authUser = user;
  state.policy = sourcePolicy(config, state.clientIp, { listener: state.listener, authUser: user }).settings;
  state.log = state.log.child({ authUser: user });
}

/** RFC 3207 §4.2: after STARTTLS nothing learned before it counts, the identity included. */
export function forgetAuthentication(config: VmtaConfig, state: SessionState): void {
  if (state.authUser === undefined) return;
  delete state.authUser;
  state.policy = sourcePolicy(config, state.clientIp, { listener: state.listener }).settings;
}
