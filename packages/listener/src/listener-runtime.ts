/** What every SMTP server of a listener process shares: config, Redis-backed stores, sessions, the connection cap. */
import os from 'node:os';
import { VmtaSelector, type VmtaConfig } from '@vmta/config';
import type { MessageStore, RateCounter, ReportStore, SuppressionStore } from '@vmta/queue';
import { AddressLists } from './address-lists.js';
import type { Logger } from 'pino';
import { ByteBudget } from './message-collector.js';
import type { SmtpSessionState } from './session-state.js';
import type { HandedSockets } from './cluster/handed-sockets.js';

export interface ListenerLimits {
  /** smtp-server socketTimeout: idle time before 421 and close. */
  idleTimeoutMs: number;
  /** A session (connection) is closed with 421 after this long, whatever it does. */
  sessionMaxMs: number;
  /** Largest header block accepted; beyond it 552. */
  maxHeaderBytes: number;
  /**
   * Longest command line; past it 500 5.5.2 at once, before the line ends (5.5.6 in an AUTH exchange); the rest
   * of the line is dropped up to its end and the session goes on (patched smtp-server).
   */
  maxCommandLength: number;
  /**
   * Graceful shutdown: how long close() lets sessions in progress finish (a message in DATA gets its 250)
   * before what is left is cut with 421. A listener removed by a reload lets its sessions run this long
   * before it drains them the same way.
   */
  closeTimeoutMs: number;
  /**
   * DATA held in memory by all sessions of the process together (messages being received, then queued);
   * past it a message gets 452 4.3.1 and the client tries again later.
   */
  maxDataBytes: number;
  /** NOOP, RSET, VRFY, EXPN, HELP, ETRN a session may send since its last accepted message; beyond it 421 4.7.0. */
  maxJunkCommands: number;
  /** Protocol errors (500-504, 555; policy/junk-commands.ts) a session may get since its last accepted message; then 421 4.7.0. */
  maxCommandErrors: number;
  /** How often address-files are checked for changes (ms). */
  addressFilePollMs: number;
}

export const DEFAULT_LIMITS: ListenerLimits = {
  idleTimeoutMs: 5 * 60_000,
  sessionMaxMs: 30 * 60_000,
  maxHeaderBytes: 1024 * 1024,
  maxCommandLength: 4096,
  closeTimeoutMs: 10_000,
  maxDataBytes: 512 * 1024 * 1024,
  addressFilePollMs: 1000,
  maxJunkCommands: 100,
  maxCommandErrors: 20,
};

export class ListenerRuntime {
  config: VmtaConfig;
  selector: VmtaSelector;
  readonly sessions = new Map<string, SmtpSessionState>();
  /** Sessions per client (authSubject: an IPv6 client by its /64), for max-smtp-in-per-ip. */
  readonly sessionsPerClient = new Map<string, number>();
  readonly dataBudget: ByteBudget;
  /** The <address-list>s with their files (set by the listener before it accepts mail, and on reload). */
  readonly addressLists: AddressLists;
  /** The per-tenant suppression store; absent: only the <address-list>s apply. */
  suppressions?: SuppressionStore;
  /** Where the feedback loop and bounce processors write; absent: mail to their addresses gets 451. */
  reports?: ReportStore;
  /**
   * Set in a child of a multi-process listener (cluster/): sockets come from the primary with the counts of
   * the whole listener, and nothing is bound here. Absent in a single process.
   */
  handed?: HandedSockets;

  constructor(
    config: VmtaConfig,
    readonly store: MessageStore,
    readonly rates: RateCounter,
    readonly log: Logger,
    readonly limits: ListenerLimits,
    /** The logger without a component, for components of their own (smtp-server). */
    readonly rootLog: Logger = log,
  ) {
    this.config = config;
    this.selector = new VmtaSelector(config);
    this.dataBudget = new ByteBudget(limits.maxDataBytes);
    this.addressLists = new AddressLists(log, limits.addressFilePollMs);
  }

  get hostName(): string {
    return this.config.global.settings['host-name'] ?? os.hostname();
  }

  /** total-max-smtp-in: inbound sessions of this process, all listeners together. */
  get maxSessions(): number {
    const v = this.config.global.settings['total-max-smtp-in'];
    return typeof v === 'number' && v > 0 ? v : 1000;
  }

  setConfig(config: VmtaConfig): void {
    this.config = config;
    this.selector = new VmtaSelector(config);
    void this.addressLists.setConfig(config);
  }
}
