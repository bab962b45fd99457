/** What processing a dispatch job (a token, a bounce-after sweep, a queue delete) is handed, and what a token run ends with. */
import type { VmtaConfig } from '@vmta/config';
import type { Dispatcher, MessageStore, Notices, QueueOps, RateCounter, SuppressionStore } from '@vmta/queue';
import type { Logger } from 'pino';
import type { RouteResolver } from '../stages/route.js';
import type { DkimSigner } from '../stages/dkim-sign.js';
import type { BounceNotifier } from '../dsn/bounce-notifier.js';
import type { Limiters, VmtaLease } from './limits.js';
import type { SlotHolderProcess } from './slot-hold.js';
import type { TrickleRuns } from './trickle-linger.js';
import type { ClaimPace } from './claim-pace.js';
import type { SessionPark } from './session-park.js';
import type { DisabledList } from './disabled-list.js';

export interface TokenDeps {
  config: () => VmtaConfig;
  store: MessageStore;
  ops: QueueOps;
  dispatcher: Dispatcher;
  resolver: RouteResolver;
  log: Logger;
  /** Sends DSNs for bounced recipients; none when absent. */
  bounces?: BounceNotifier;
  /** Where hard-bounced recipients are suppressed (auto-suppress); nothing is stored when absent. */
  suppressions?: SuppressionStore;
  /** DKIM signing (dkim-sign, domain-key); mail goes unsigned when absent. */
  dkim?: DkimSigner;
  /** Cluster-wide limits (VMTA max-smtp-out, max-connect-rate, max-msg-rate); none when absent. */
  limiters?: Limiters;
  localIps?: ReadonlySet<string>;
  /** The cluster-wide list of disabled source IPs; none: every source is used. */
  sources?: DisabledList;
  /** Notices to backoff-notify and disabled-source-ip-notify; none: nobody is told. */
  notices?: Notices;
  /** Cluster-wide counts (the daily cold-VMTA count of IP warm-up); none: no warm-up. */
  counters?: RateCounter;
  now?: () => number;
  /** Messages claimed at a time. */
  batchSize?: number;
  /** After this long a token hands its place back (fairness between queues). */
  timeBudgetMs?: number;
  /** This process as a slot holder (registry id, heartbeat): token runs are fenced and recoverable; none: no fencing. */
  holder?: SlotHolderProcess;
  /** When this process's token runs of each queue ended: a run of a queue that mail trickles into waits a moment before it ends; none: never. */
  trickle?: TrickleRuns;
  /** Wall time per message of each queue in this process: a fast connection claims more than its share (claim-pace.ts); none: the share. */
  pace?: ClaimPace;
  /** Idle sessions of queues with no more mail, for other queues to the same next hop (session-park.ts); none: QUIT at once. */
  park?: SessionPark<VmtaLease>;
  /** True once the process is shutting down: tokens hand their mail back after the current message. */
  stopping?: () => boolean;
}

export type TokenResult = 'empty' | 'paused' | 'yielded';
