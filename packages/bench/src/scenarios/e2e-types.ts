/** What the e2e scenario measures: one run's figures, the latency probe, the variants, the whole result. */
import type { ProfileSummary } from '../cpuprofile.js';
import type { PerMessageStat } from '../redis-info.js';
import type { SourceLoad } from '../source.js';

export interface Latency {
  offeredPerSec: number;
  messages: number;
  failures: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface RunFigures {
  messages: number;
  acceptMs: number;
  endToEndMs: number;
  acceptedPerSec: number;
  endToEndPerSec: number;
  /** What the sink counted a second after the last expected message (more = duplicates). */
  sinkCount: number;
  /** Deferrals and bounces the MTA recorded over the run (Postfix: maillog status= lines; vmta: Redis totals); absent for direct. */
  deferred?: number;
  bounced?: number;
  /** Set when the sink did not have every message in time: how long we waited (sinkCount is what it had then). */
  cutoffMs?: number;
  sourceExitCode: number | null;
  /** CPU seconds per 1,000 messages, per process (or process tree), over the end-to-end window. */
  cpuPer1000: Record<string, number>;
  /**
   * The same over the accept window only: from the start of the load until the load generator
   * finished (every message accepted), per 1,000 messages. Absent in results written before it.
   */
  acceptCpuPer1000?: Record<string, number>;
  /**
   * Settle-inclusive CPU: from the same start, until the MTA's processes were idle after the sink had
   * every message (settle.ts: each MTA meter at most 2 % of a core over 500 ms; at most 10 s). Senders
   * runs only; absent in results written before it.
   */
  settle?: SettleFigures;
  /** What the sink had when the load generator finished (how far delivery kept up while accepting). */
  sinkCountAtAcceptEnd?: number;
  /** Nice value of each of our processes read from /proc at the end of the run (vmta runs only). */
  nice?: Record<string, number>;
  latency?: Latency;
  /** Sink deliveries per message when an MTA must split each message (one per recipient domain); sinkCount is in messages. */
  deliveriesPerMessage?: number;
  /** Our load client's own samples under the full load (ms). */
  client?: { dotTo250: Quantiles; connectTo220: Quantiles };
}

export interface SettleFigures {
  /** CPU seconds per 1,000 messages of every meter (MTA, sinks, load generator) until the MTA was idle. */
  cpuPer1000: Record<string, number>;
  /** How long the MTA kept working after the sink had every message (ms; the quiet 500 ms not included). */
  busyMs: number;
  /** Still busy after 10 s: the reading was taken then. */
  capped: boolean;
}

export interface Quantiles {
  p50: number;
  p99: number;
  count: number;
}

export interface E2eResult {
  load: SourceLoad & { smtpSourceArgs: string[] };
  /**
   * Messages of the same load sent into each fresh Postfix and vmta (and delivered) before each of their
   * measured runs (the medians and the single-run columns), left out of every figure; 0: cold. The
   * slow-sink and many-domain variants stay cold. Absent in results from before it existed: cold.
   */
  warmup?: number;
  fsync: string;
  maxSmtpOut: number;
  direct: RunFigures;
  postfix: RunFigures & { cpuByProcess: Record<string, number> };
  vmta: RunFigures;
  /** The same run with the other appendfsync policy (accept, end to end, latency only). */
  vmtaOtherFsync?: RunFigures & { fsync: string };
  /**
   * The same load and appendfsync as the main vmta runs, but the delivery process started with these
   * extra `vmta start` arguments (`--nice 0`: normal priority instead of the delivery default, nice 19).
   * Single run (accept, end to end, latency); absent in results written before it.
   */
  vmtaNormalPriority?: RunFigures & { deliveryArgs: string[] };
  redis: {
    commandsPerMessage: PerMessageStat[];
    totalCallsPerMessage: number;
    /** used_memory growth per message queued with delivery stopped (smtp-source body). */
    memoryPerMessage: number;
    memoryMessages: number;
    /** Same, body of pseudo-random text enqueued through packages/queue. */
    memoryPerTextMessage: number;
    textBodyBytes: number;
    textStoredBytes: number;
    acceptOnlyPerSec: number;
    drainOnlyPerSec: number;
    slowlog: Array<{ us: number; command: string }>;
  };
  profile?: { listener: ProfileSummary; delivery: ProfileSummary; messages: number };
  /**
   * Every run of the repeated measurement, in the order they ran (`order`); `direct`, `postfix`
   * and `vmta` above are the first run of each (the one with the Redis figures and profile).
   */
  runs?: { direct: RunFigures[]; postfix: RunFigures[]; vmta: RunFigures[]; order: string[] };
  slowSink?: VariantResult;
  manyDomains?: VariantResult;
}

/** A single-run variant of the load: Postfix and vmta (appendfsync as the main runs) on the same load. */
export interface VariantResult {
  messages: number;
  sessions: number;
  /** What generated the load and what the sink did, for the report. */
  loadArgs: string[];
  sinkArgs: string[];
  domains: number;
  direct?: RunFigures;
  postfix: RunFigures;
  vmta: RunFigures;
}
