/**
 * A delivery process: one BullMQ Worker on the dispatch queue (not one per
 * mail queue), the wake sweep, and the start-up report of which VMTAs this
 * host can serve.
 */
import os from 'node:os';
import { domainPolicy, eventStreamWanted, noticeSender, type VmtaConfig } from '@vmta/config';
import { ConnectionLimiter, createRedis, DeliveryRateLimiter, DisabledSources, Keys, MessageStore, Notices, parseRedisUrl, QUEUE_RETIRE_IDLE_MS, QueueOps, RateCounter, SuppressionStore, waitPolicy } from '@vmta/queue';
import { pino, type Logger } from 'pino';
import { DnsResolver } from '../dns/resolver.js';
import type { RouteResolver } from '../stages/route.js';
import { localSourceAddresses, servableVmtas } from '../stages/select-source.js';
import { BounceNotifier } from '../dsn/bounce-notifier.js';
import { DkimSigner } from '../stages/dkim-sign.js';
import { EXPIRY_SWEEP_MS, ExpirySweeper } from './expiry-sweeper.js';
import { HeldLeases, reassertOnReady } from './held-leases.js';
import { LaneWorkers } from './lanes.js';
import { vmtaCap, type VmtaLease } from './limits.js';
import { processJob } from './process-job.js';
import { TrickleRuns } from './trickle-linger.js';
import { ClaimPace } from './claim-pace.js';
import type { SlotHolderProcess } from './slot-hold.js';
import { recoverSilentSlots, RECOVERY_SCAN_MS } from './slot-recovery.js';
import { retireIdleQueues, retireSweepMs } from './retire-sweep.js';
import { DisabledList } from './disabled-list.js';
import { parkMaxPerHop, SESSION_PARK_MS, SessionPark } from './session-park.js';

export interface StartDeliveryOptions {
  config: VmtaConfig;
  redisUrl: string;
  prefix?: string;
  /** Tokens (connections) this process works on at once, per VMTA. */
  concurrency?: number;
  logger?: Logger;
  resolver?: RouteResolver;
  /** How often to add tokens an enqueue could not add (ms). */
  wakeSweepMs?: number;
  /** The host's addresses (default: its interfaces); tests use it to play several hosts. */
  localAddresses?: ReadonlySet<string>;
  /** BullMQ stalled-job check: the fallback for tokens slot recovery cannot see (a process never registered). */
  stalledIntervalMs?: number;
  /**
   * This process in the process registry: its token runs record themselves as slot holders, and it
   * takes back the slots of processes silent for `recoverAfterMs` (docs/design/queues.md, Crash).
   */
  holder?: SlotHolderProcess;
  /** How often this process looks for queues due for bounce-after (default EXPIRY_SWEEP_MS; one process sweeps at a time). */
  expirySweepMs?: number;
  /** Default SLOT_RECOVERY_AFTER_MS. */
  recoverAfterMs?: number;
  /** An empty queue in normal mode without outcomes this long leaves the queue index (default QUEUE_RETIRE_IDLE_MS). */
  retireIdleMs?: number;
  /** VMTA connection slot lease (default VMTA_LEASE_MS, renewed every third of it); tests shorten it. */
  vmtaLeaseMs?: number;
  /** How long the idle session of a queue with no more mail waits for another queue to the same next hop (default SESSION_PARK_MS; 0: QUIT at once). */
  sessionParkMs?: number;
  /** Most sessions waiting per next hop (default parkMaxPerHop(concurrency): the larger of 20 and the concurrency). */
  sessionParkMaxPerHop?: number;
}

export interface RunningDelivery {
  /** The VMTAs this host can deliver for, as logged at start-up (what the process registry shows). */
  readonly servedVmtas: string[];
  reload(config: VmtaConfig): void;
  close(): Promise<void>;
}

/**
 * Tokens (connections) per VMTA lane and process. Tokens mostly wait on the network; with one
 * message per domain (a connection each) 100 drained 9,333 domains 37 % faster than 20 (pnpm bench).
 */
export const DEFAULT_CONCURRENCY = 100;

/** A token that failed with an unexpected error (Redis gone, a bug) comes back after this. */
const FAILED_TOKEN_RETRY_MS = 10_000;
/**
 * How often the wake marks an enqueue left (a listener that died, or a wake that failed) are
 * looked at: the bound on how long mail can wait for a token when a wake is lost. One SMEMBERS.
 */
const WAKE_SWEEP_MS = 5_000;

/** Decoded bodies of messages in several queues kept per process: each domain of a fan-out reads and inflates the body once. */
const BODY_CACHE_BYTES = 32 * 1024 * 1024;

export async function startDelivery(options: StartDeliveryOptions): Promise<RunningDelivery> {
  const log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'delivery' });
  const prefix = options.prefix ?? 'vmta';
  let config = options.config;
  const redis = createRedis(options.redisUrl, 'delivery');
  // Accounting records (the event stream) only when something reads them (eventStreamWanted).
  const accounting = () => eventStreamWanted(config);
  const store = new MessageStore(redis, { prefix, accounting, bodyCacheBytes: BODY_CACHE_BYTES, bounceAfter: (ref) => domainPolicy(config, ref.domain, ref.vmta).settings['bounce-after'] });
  const ops = new QueueOps(redis, prefix, { accounting });
  const localIps = options.localAddresses ?? localSourceAddresses();
  const servedBy = (c: VmtaConfig): string[] => {
    const servable = servableVmtas(c, localIps);
    log.info(
      { event: 'vmtas', serves: servable.servable.map((s) => s.vmta), skips: servable.skipped, unusableSources: servable.unusableSources },
      'virtual MTAs this host serves',
    );
    return servable.servable.map((s) => s.vmta);
  };
  let served = servedBy(config);
  const nameServers = config.global.settings['name-server'];
  const resolver = options.resolver ?? new DnsResolver(nameServers?.length ? { servers: nameServers } : {});
  const { hostName, postmaster } = noticeSender(config, os.hostname());
  const bounces = new BounceNotifier(store, { reportingMta: hostName, postmaster });
  // A VMTA lease waits for the replicas the listener's 250 waits for (issue 18): max-smtp-out holds across a failover.
  const target = parseRedisUrl(options.redisUrl);
  const replicas = () => {
    const g = config.global.settings;
    return waitPolicy(target, { replicas: g['redis-wait-replicas'] ?? undefined, timeoutMs: g['redis-wait-timeout'] ?? undefined });
  };
  replicas();
  // Leases lost in a failover are put back (or their connections cut) as soon as the connection is ready again.
  const held = new HeldLeases((vmta) => vmtaCap(config, vmta));
  const stopReasserting = reassertOnReady(redis, held, log);
  const limiters = { connections: new ConnectionLimiter(redis, prefix), rates: new DeliveryRateLimiter(redis, prefix), replicas, held, ...(options.vmtaLeaseMs ? { leaseMs: options.vmtaLeaseMs } : {}) };
  let stopping = false;
  const dkim = new DkimSigner({ log: log.child({ component: 'dkim' }) });
  const sources = { sources: new DisabledList(new DisabledSources(redis, prefix)), notices: new Notices(store, { hostName, postmaster }), counters: new RateCounter(redis, prefix) };
  const suppressions = new SuppressionStore(redis, prefix);
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const trickle = new TrickleRuns(Math.max(1, Math.floor(concurrency / 4)));
  const park = new SessionPark<VmtaLease>(options.sessionParkMs ?? SESSION_PARK_MS, options.sessionParkMaxPerHop ?? parkMaxPerHop(concurrency));
  const deps = { park, config: () => config, store, ops, dispatcher: store.dispatcher, resolver, log, localIps, bounces, limiters, dkim, suppressions, ...sources, stopping: () => stopping, holder: options.holder, trickle, pace: new ClaimPace() };
  // BullMQ leaves a connection it was handed open on close: we close it ourselves.
  const workerRedis = createRedis(options.redisUrl, 'delivery');
  const lanes = new LaneWorkers({
    connection: workerRedis,
    prefix: new Keys(prefix).bullPrefix(),
    concurrency,
    sharedConcurrency: Math.max(2, Math.ceil(concurrency / 4)),
    stalledIntervalMs: options.stalledIntervalMs ?? 15_000,
    log,
    process: (job, token) => processJob(job, token, deps),
    onFailed: (job) => {
      if (job.data.kind) return; // a delete can be asked again (an old expire job: the queue's token indexes it)
      store.dispatcher
        .rewakeLater(job.data, job.data.slot, FAILED_TOKEN_RETRY_MS)
        .catch((err: Error) => log.warn({ event: 'rewake-failed', queue: job.data.queue, err: err.message }, 'could not re-add a failed token'));
    },
    onCompleted: (job) => {
      if (job.data.kind) return; // purge (and old expire) jobs are not connection tokens
      // A message may have arrived while the token was finishing (its wake was deduplicated).
      // A token that found its queue paused goes away for good, unless a resume came in meanwhile
      // (that resume's wake met this token still active and was deduplicated).
      const { queue, slot } = job.data;
      const rewake = async () => {
        if (job.returnvalue === 'paused' && (await ops.state(queue)).mode === 'paused') return;
        const next = await ops.nextDue(queue);
        if (next !== undefined && next <= Date.now()) await store.dispatcher.wake(job.data, slot);
      };
      rewake().catch((err: Error) => log.warn({ event: 'rewake-failed', queue, err: err.message }, 'could not re-add a token'));
    },
  });
  lanes.serve(served);
  const sweep = setInterval(() => {
    store.dispatcher.sweepWakes().catch((err: Error) => log.warn({ event: 'wake-sweep-failed', err: err.message }, 'wake sweep failed'));
  }, options.wakeSweepMs ?? WAKE_SWEEP_MS);
  sweep.unref();
  let recovering = false;
  const recovery = setInterval(() => {
    if (!options.holder || recovering) return;
    recovering = true;
    recoverSilentSlots({ ops, dispatcher: store.dispatcher, log, recoverAfterMs: options.recoverAfterMs, self: options.holder.processId })
      .catch((err: Error) => log.warn({ event: 'slot-recovery-failed', err: err.message }, 'slot recovery failed'))
      .finally(() => (recovering = false));
  }, RECOVERY_SCAN_MS);
  recovery.unref();
  // bounce-after: one process of the cluster at a time sweeps the due queues of the index (expiry-sweeper.ts).
  const expiry = new ExpirySweeper(deps);
  const expirySweep = setInterval(() => {
    if (stopping) return;
    expiry.tick().catch((err: Error) => log.warn({ event: 'expiry-sweep-failed', err: err.message }, 'bounce-after sweep failed'));
  }, options.expirySweepMs ?? EXPIRY_SWEEP_MS);
  expirySweep.unref();
  const retireIdleMs = options.retireIdleMs ?? QUEUE_RETIRE_IDLE_MS;
  const retireEvery = retireSweepMs(retireIdleMs);
  const retire = setInterval(() => {
    retireIdleQueues(redis, ops, { idleMs: retireIdleMs, intervalMs: retireEvery })
      .then((names) => names.length > 0 && log.info({ event: 'queues-retired', count: names.length, queues: names.slice(0, 20) }, 'idle queues left the index'))
      .catch((err: Error) => log.warn({ event: 'retire-sweep-failed', err: err.message }, 'retire sweep failed'));
  }, retireEvery);
  retire.unref();
  await store.dispatcher.sweepWakes().catch(() => undefined);
  log.info({ event: 'started', concurrency, lanes: lanes.names }, 'delivery started');
  return {
    get servedVmtas() {
      return served;
    },
    reload(next) {
      config = next;
      expiry.reload();
      served = servedBy(next);
      const { added, removed } = lanes.serve(served);
      if (added.length + removed.length > 0) log.info({ event: 'lanes-changed', added, removed }, 'dispatch lanes changed');
    },
    async close() {
      // Tokens at work hand their mail back after the message on the wire; worker.close() waits for that.
      stopping = true;
      clearInterval(sweep);
      clearInterval(recovery);
      clearInterval(retire);
      clearInterval(expirySweep);
      await lanes.close();
      await expiry.release().catch(() => undefined);
      await park.closeAll();
      await store.dispatcher.close();
      stopReasserting();
      workerRedis.disconnect();
      redis.disconnect();
      log.info({ event: 'closed', sessionsParked: park.stats.parked, sessionsReused: park.stats.reused }, 'delivery closed');
    },
  };
}
