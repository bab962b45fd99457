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
  /** Protocol errors (isCommandError) since the last accepted message. */
  commandErrors: number;
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
    commandErrors: 0,
  };
}

/**
 * The state of one SMTP session. Its logger (a pino child with `session` and `client`, and `authUser`
 * once authenticated) is made the first time a line is written through it: at the default level most
 * sessions without a message write nothing of their own, and a child costs a few µs.
 */
export class SmtpSessionState implements SessionState {
  policy: SourcePolicy;
  authUser?: string;
  readonly recipients = new Map<string, NewRecipient>();
  reportKind?: ProcessorKind;
  junkCommands = 0;
  commandErrors = 0;
  capTimer?: NodeJS.Timeout;
  private child: Logger | undefined;
  private logAuthUser: string | undefined;

  constructor(
    config: VmtaConfig,
    /** The listener's logger: the parent of the session's own. */
    private readonly parentLog: Logger,
    readonly id: string,
    readonly listener: ListenerConfig,
    readonly clientIp: string,
    readonly localIp: string,
  ) {
    this.policy = sessionPolicy(config, clientIp, listener);
  }

  get log(): Logger {
    if (this.child === undefined) {
      const fields: Record<string, string> = { session: this.id, client: this.clientIp };
      if (this.logAuthUser !== undefined) fields.authUser = this.logAuthUser;
      this.child = this.parentLog.child(fields);
    }
    return this.child;
  }

  set log(log: Logger) {
    this.child = log;
  }

  /** Would a line at `level` be written? Asked of the parent, so that a dropped line makes no child. */
  logs(level: 'debug' | 'info'): boolean {
    return (this.child ?? this.parentLog).isLevelEnabled(level);
  }

  /** From now on the session's lines carry `authUser` (a child made already gets a child of its own). */
  bindAuthUser(user: string): void {
    if (this.child !== undefined) this.child = this.child.child({ authUser: user });
    else this.logAuthUser = user;
  }
}

/** After a successful AUTH: the {auth} source and the user's named source now apply. */
export function authenticate(config: VmtaConfig, state: SessionState, user: string): void {
  state.authUser = user;
  state.policy = sessionPolicy(config, state.clientIp, state.listener, user);
  if (state instanceof SmtpSessionState) state.bindAuthUser(user);
  else state.log = state.log.child({ authUser: user });
}

/** RFC 3207 §4.2: after STARTTLS nothing learned before it counts, the identity included. */
export function forgetAuthentication(config: VmtaConfig, state: SessionState): void {
  if (state.authUser === undefined) return;
  delete state.authUser;
  state.policy = sessionPolicy(config, state.clientIp, state.listener);
}
