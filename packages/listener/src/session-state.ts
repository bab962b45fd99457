/**
 * What the listener knows about one SMTP session beyond smtp-server's own session object: the listener,
 * the merged source policy (per client IP and listener source, recomputed after AUTH) and the accepted
 * recipients of the current transaction. Kept in a map by session id, removed when the session closes.
 */
import { sourcePolicy, type ListenerConfig, type ProcessorKind, type SourcePolicy, type VmtaConfig } from '@vmta/config';
import type { NewRecipient } from '@vmta/queue';
import type { Logger } from 'pino';

/** Merged policies kept per configuration (a reload is a new object and starts afresh); bounded, oldest dropped first. */
const MEMO_SIZE = 10_000;
const memo = new WeakMap<VmtaConfig, Map<string, SourcePolicy>>();

/**
 * The merged source policy of a client IP, listener source and AUTH user: the merge costs about 2 % of
 * the listener's CPU on one-connection-per-message loads, and its inputs only change with the
 * configuration. The result is frozen: sessions share it.
 */
export function sessionPolicy(config: VmtaConfig, clientIp: string, listener: ListenerConfig, authUser?: string): SourcePolicy {
  let byKey = memo.get(config);
  if (!byKey) {
    byKey = new Map();
    memo.set(config, byKey);
  }
  const key = `${clientIp}|${listener.source ?? ''}|${authUser ?? ''}`;
  let policy = byKey.get(key);
  if (policy === undefined) {
    policy = Object.freeze(sourcePolicy(config, clientIp, { listener, ...(authUser !== undefined ? { authUser } : {}) }).settings);
    byKey.set(key, policy);
    if (byKey.size > MEMO_SIZE) byKey.delete(byKey.keys().next().value!);
  }
  return policy;
}

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
  /** Set when the transaction's recipients are addresses of a processor (feedback loop, bounce): processed, not queued. */
  reportKind?: ProcessorKind;
  /** NOOP, RSET, VRFY, ... since the last accepted message (policy/junk-commands.ts). */
  junkCommands: number;
  /** Ends the session when it exceeds the whole-session cap. */
  capTimer?: NodeJS.Timeout;
}

export function newSessionState(
  config: VmtaConfig,
  input: { id: string; log: Logger; listener: ListenerConfig; clientIp: string; localIp: string },
): SessionState {
  return {
    ...input,
    policy: sessionPolicy(config, input.clientIp, input.listener),
    recipients: new Map(),
    junkCommands: 0,
  };
}

/** After a successful AUTH: the {auth} source and the user's named source now apply. */
export function authenticate(config: VmtaConfig, state: SessionState, user: string): void {
  state.authUser = user;
  state.policy = sessionPolicy(config, state.clientIp, state.listener, user);
  state.log = state.log.child({ authUser: user });
}

/** RFC 3207 §4.2: after STARTTLS nothing learned before it counts, the identity included. */
export function forgetAuthentication(config: VmtaConfig, state: SessionState): void {
  if (state.authUser === undefined) return;
  delete state.authUser;
  state.policy = sessionPolicy(config, state.clientIp, state.listener);
}
