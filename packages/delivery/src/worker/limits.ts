/**
 * Limits stage: cluster-wide checks before a connection and before a
 * transaction. Each answers "go" or "wait until T"; waiting is done by the
 * caller as a delayed token, never by polling here.
 */
import os from 'node:os';
import type { DomainPolicy, VmtaConfig } from '@vmta/config';
import type { ConnectionLimiter, DeliveryRateLimiter, LeaseReassertion, WaitPolicy } from '@vmta/queue';
import type { Logger } from 'pino';
import type { HeldLeases, ReassertableLease } from './held-leases.js';

export interface Limiters {
  connections: ConnectionLimiter;
  rates: DeliveryRateLimiter;
  /** How long a VMTA slot lease lasts unrenewed (default VMTA_LEASE_MS); tests shorten it. */
  leaseMs?: number;
  /** The listener's WAIT before 250 (redis-wait-*, REDIS_URL): a VMTA lease must reach as many replicas before its connection opens. */
  replicas?: () => WaitPolicy;
  /** The leases this process holds, re-asserted after a Redis reconnect (held-leases.ts). */
  held?: HeldLeases;
}

/** A VMTA slot is held for a session; a dead process's slot comes back after this. */
export const VMTA_LEASE_MS = 5 * 60_000;
/** How long a token waits before asking again for a VMTA slot that was full. */
export const VMTA_FULL_WAIT_MS = 2_000;

export type Verdict = { go: true } | { go: false; until: number; reason: string };

/**
 * The VMTA lease's holder: one connection of one run. The run is part of it: a run that lost its
 * slot while its session was still open must not share its lease with the slot's next run in the
 * same process (acquireLease lets a holder in again), or max-smtp-out would count two connections as one.
 */
export function holderId(queue: string, slot: number, sourceKey: string, run?: string): string {
  return `${os.hostname()}:${process.pid}:${queue}#${slot}:${sourceKey}${run ? `:${run}` : ''}`;
}

/** max-smtp-out of the VMTA; without a cap (Infinity) the lease is still taken: it is how the cluster counts its connections out per VMTA. */
export function vmtaCap(config: VmtaConfig, vmta: string): number {
  const limit = config.vmtas[vmta.toLowerCase()]?.settings['max-smtp-out'];
  return limit === undefined || limit === null ? Infinity : limit;
}

/**
 * Before opening a connection: max-connect-rate of the queue, max-smtp-out of the VMTA. When the
 * VMTA is full, the queue waits for a slot with its queue-priority: a slot that comes free goes
 * to the highest-priority queue asking for one (a refused token asks again after VMTA_FULL_WAIT_MS,
 * so its wait counts for three of those).
 */
export async function mayConnect(
  limiters: Limiters,
  config: VmtaConfig,
  input: { queue: string; vmta: string; holder: string; policy: DomainPolicy; now: number },
): Promise<Verdict> {
  const rate = await limiters.rates.take({ queue: input.queue, limit: 'max-connect-rate' }, input.policy['max-connect-rate'], 1, input.now);
  if (rate.allowed < 1) return { go: false, until: rate.retryAtMs ?? input.now + 1000, reason: 'max-connect-rate' };
  const cap = vmtaCap(config, input.vmta);
  const waiting = { priority: input.policy['queue-priority'] ?? 50, waitMs: 3 * VMTA_FULL_WAIT_MS };
  const ok = await limiters.connections.acquire({ kind: 'vmta', vmta: input.vmta }, input.holder, cap, limiters.leaseMs ?? VMTA_LEASE_MS, input.now, waiting);
  if (!ok) return { go: false, until: input.now + VMTA_FULL_WAIT_MS, reason: 'virtual-mta max-smtp-out' };
  // Not yet on a linked replica: a failover now would lose the lease and free the slot for a second
  // connection. With no replica linked at all (after a failover, before the old primary is back)
  // delivery goes on: queued mail is not held for a replica that is not there.
  const wait = limiters.replicas?.();
  if (wait && (await limiters.connections.replicated(wait.replicas, wait.timeoutMs)) === 'lagging') {
    await releaseConnection(limiters, input.vmta, input.holder).catch(() => undefined);
    return { go: false, until: input.now + VMTA_FULL_WAIT_MS, reason: 'redis-wait-replicas' };
  }
  return { go: true };
}

/**
 * A VMTA slot held by one connection: renewed every third of the lease while the connection lives,
 * so a delivery longer than the lease keeps its slot and max-smtp-out holds across processes (a
 * dead process's slot still comes back after one lease), and re-asserted at once after a Redis
 * reconnect (held-leases.ts). `lost` turns true when a renewal found the lease gone (expired while
 * Redis was out of reach, or lost with a failed-over primary), or a re-assertion found it gone with
 * every slot taken: the connection must not be used for more mail, and `onLost` cuts it at once,
 * even mid-transaction (another process may already hold the slot).
 */
export class VmtaLease implements ReassertableLease {
  lost = false;
  private released = false;
  private readonly timer: NodeJS.Timeout;
  private readonly leaseMs: number;
  private cut: (() => void) | undefined;
  /** A re-assertion on the wire: release waits for it, so its re-add never lands after the release. */
  private reasserting: Promise<unknown> | undefined;

  constructor(
    private readonly limiters: Limiters,
    readonly vmta: string,
    readonly holder: string,
  ) {
    this.leaseMs = limiters.leaseMs ?? VMTA_LEASE_MS;
    this.timer = setInterval(() => void this.renew(), Math.max(1, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
    limiters.held?.add(this);
  }

  private async renew(): Promise<void> {
    const held = await this.limiters.connections.renew({ kind: 'vmta', vmta: this.vmta }, this.holder, this.leaseMs).catch(() => true);
    if (!held) this.markLost();
  }

  /** After a reconnect: kept, re-added into a free slot, or lost (the connection is cut). */
  async reassert(cap: number): Promise<LeaseReassertion | 'skipped'> {
    if (this.lost || this.released) return 'skipped';
    const call = this.limiters.connections.reassert({ kind: 'vmta', vmta: this.vmta }, this.holder, cap, this.leaseMs);
    this.reasserting = call.catch(() => undefined);
    const state = await call;
    if (state === 'lost') this.markLost();
    return state;
  }

  private markLost(): void {
    if (this.lost || this.released) return;
    this.lost = true;
    this.cut?.();
  }

  /** `cut` runs once when the lease is found lost (at once when it is lost already). */
  onLost(cut: () => void): void {
    this.cut = cut;
    if (this.lost) cut();
  }

  /** Stops renewing and gives the slot back. */
  async release(): Promise<void> {
    this.released = true;
    this.limiters.held?.delete(this);
    clearInterval(this.timer);
    this.cut = undefined;
    await this.reasserting;
    await releaseConnection(this.limiters, this.vmta, this.holder).catch(() => undefined);
  }
}

/**
 * A lost lease cuts its connection like the fence watch does (SmtpSession.abort: a transaction in
 * flight ends as "connection lost" and its recipients stay queued).
 */
export function cutOnLeaseLost(session: { abort(reason: string): void }, log: Logger): void {
  log.warn({ event: 'lease-lost' }, 'the VMTA slot lease was lost (expired or failed over): closing its connection');
  session.abort('VMTA slot lease lost');
}

export async function releaseConnection(limiters: Limiters, vmta: string, holder: string): Promise<void> {
  await limiters.connections.release({ kind: 'vmta', vmta }, holder);
}

/** Before a message: max-msg-rate counts attempted recipients of the queue. */
export async function maySend(limiters: Limiters, queue: string, policy: DomainPolicy, recipients: number, now: number): Promise<Verdict> {
  const rate = policy['max-msg-rate'];
  if (rate === 'unlimited') return { go: true };
  const burst = Math.max(1, Math.min(recipients, policy['max-rcpt-per-transaction']));
  const taken = await limiters.rates.take({ queue, limit: 'max-msg-rate' }, { ...rate, burst }, recipients, now);
  return taken.allowed >= recipients ? { go: true } : { go: false, until: taken.retryAtMs ?? now + 1000, reason: 'max-msg-rate' };
}
