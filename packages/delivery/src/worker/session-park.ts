/**
 * Cross-queue reuse of idle SMTP sessions. A token run whose queue has no more due mail parks
 * its open, clean sessions here for a moment (`parkMs`, at most `maxPerHop` per next hop)
 * instead of sending QUIT; a run of another queue that would connect to the identical next hop
 * (host:port) from the identical source (IP, EHLO name) under the identical connect policy (TLS
 * policy and versions, CA file, timeouts) takes one instead of opening a new connection. Many
 * domains hosted on one provider's MX (Google Workspace, Microsoft 365) share their sessions.
 *
 * A parked session holds no queue slot: the taker holds its own queue slot (its token) first
 * (max-smtp-out per domain holds). It keeps its VMTA lease while parked (renewed as while it
 * worked, so the VMTA's count of open connections includes it) and hands it to the taker: taking
 * a parked session is not a new connection, so it asks neither max-connect-rate nor the VMTA for
 * a slot; a session that closes here (expired, found unusable, shutdown) releases its lease. The
 * VMTA is part of the key, so a lease never changes VMTA. A VMTA with its own max-smtp-out still
 * never parks (`mayPark`): an idle parked session would hold one of its few slots that a queue
 * waiting for one could use. The session keeps its message count (max-msg-per-connection). Only
 * sessions whose every transaction ended without an error are parked; the last one ended with a
 * reply to the final dot, so no RSET is needed before the next MAIL FROM. Nothing here talks to
 * Redis (the lease does, by its own timer): a kill loses only idle connections, and their leases
 * lapse after one lease period.
 */
import type { DomainPolicy, VmtaConfig } from '@vmta/config';
import type { RouteHost } from '../stages/route.js';
import type { OutboundSource } from '../stages/select-source.js';
import type { SmtpSession } from '../smtp-client/smtp-session.js';
import { smtpTimeoutsOf } from '../smtp-client/connect.js';
import { tlsMinVersionOf, tlsPolicyOf } from '../stages/tls-policy.js';

/** The VMTA slot lease a parked session keeps (limits.ts VmtaLease), as the park needs it. */
export interface ParkedLease {
  readonly lost: boolean;
  /** Stops renewing and gives the VMTA slot back. */
  release(): Promise<void>;
}

/** What the park hands a taker: the session and, with limiters, the VMTA lease it kept. */
export interface ParkedSession<L extends ParkedLease = ParkedLease> {
  session: SmtpSession;
  lease?: L | undefined;
}

/** False for a VMTA with its own max-smtp-out: its count of open connections must stay exact. */
export function mayPark(config: VmtaConfig, vmta: string): boolean {
  const cap = config.vmtas[vmta.toLowerCase()]?.settings['max-smtp-out'];
  return cap === undefined || cap === null;
}

/** Default longest wait of a parked session (ms). */
export const SESSION_PARK_MS = 250;
/** Default most sessions parked per next hop (host:port), for a process with fewer runs than this. */
export const SESSION_PARK_MAX_PER_HOP = 20;

/**
 * Most sessions parked per next hop for a process running up to `concurrency` token runs per VMTA:
 * the larger of SESSION_PARK_MAX_PER_HOP and `concurrency`. Every parked session is one a run of this
 * process had open a moment before, and a run to that hop takes a parked one before it connects, so a
 * larger park never opens more connections to a hop than the runs had; it only keeps them instead of
 * QUIT and connect again. With 20 and 100 runs, one message per domain on one MX made a new connection
 * for 0.25 messages in 1 (a burst of runs ending at once found the park full); with 100, 0.05
 * (pnpm bench senders many-domains, packages/bench/notes.md).
 */
export function parkMaxPerHop(concurrency: number): number {
  return Math.max(SESSION_PARK_MAX_PER_HOP, Math.floor(concurrency));
}

type KeyDirectives = Parameters<typeof tlsPolicyOf>[0] &
  Parameters<typeof tlsMinVersionOf>[0] &
  Parameters<typeof smtpTimeoutsOf>[0] &
  Pick<DomainPolicy, 'smtp-tls-ca-file' | 'mx-session-limit'>;

/** What must be identical for two queues to share a session (and its lease of `vmta`); the next hop first. */
export function parkKeyOf(host: Pick<RouteHost, 'name' | 'ip' | 'port'>, source: OutboundSource, policy: KeyDirectives, vmta: string): string {
  const t = smtpTimeoutsOf(policy);
  return [
    `${host.ip}:${host.port}`,
    // The name the TLS certificate is checked against (SNI, required-verified).
    host.name.toLowerCase(),
    source.ip ?? '*',
    source.hostName,
    tlsPolicyOf(policy),
    tlsMinVersionOf(policy),
    policy['smtp-tls-ca-file'] ?? '',
    t.connectTimeoutMs,
    t.greetingTimeoutMs,
    t.dataSendTimeoutMs,
    t.idleTimeoutMs,
    policy['mx-session-limit'],
    vmta.toLowerCase(),
  ].join('|');
}

const hopOf = (key: string): string => key.slice(0, key.indexOf('|'));

interface Parked<L extends ParkedLease> extends ParkedSession<L> {
  timer: NodeJS.Timeout;
}

/** QUIT for a session leaving the park unused, and its VMTA slot back. */
async function closeParked(p: ParkedSession): Promise<void> {
  await p.session.close().catch(() => undefined);
  await p.lease?.release();
}

export interface ParkStats {
  parked: number;
  reused: number;
  expired: number;
}

export class SessionPark<L extends ParkedLease = ParkedLease> {
  private readonly byKey = new Map<string, Array<Parked<L>>>();
  private readonly perHop = new Map<string, number>();
  readonly stats: ParkStats = { parked: 0, reused: 0, expired: 0 };

  constructor(
    readonly parkMs = SESSION_PARK_MS,
    readonly maxPerHop = SESSION_PARK_MAX_PER_HOP,
  ) {}

  /** Parks `session` (with its lease) under `key`; false when it may not wait (the caller closes it and releases the lease). */
  park(key: string, session: SmtpSession, lease?: L): boolean {
    if (this.parkMs <= 0 || this.maxPerHop <= 0 || !session.parkable || lease?.lost) return false;
    const hop = hopOf(key);
    if ((this.perHop.get(hop) ?? 0) >= this.maxPerHop) return false;
    const entry: Parked<L> = {
      session,
      lease,
      timer: setTimeout(() => {
        if (this.remove(key, entry)) {
          this.stats.expired++;
          void closeParked(entry);
        }
      }, this.parkMs),
    };
    entry.timer.unref();
    const list = this.byKey.get(key);
    if (list) list.push(entry);
    else this.byKey.set(key, [entry]);
    this.perHop.set(hop, (this.perHop.get(hop) ?? 0) + 1);
    this.stats.parked++;
    return true;
  }

  /** A parked session for `key` that can still carry a message, with its lease, or undefined; the most recently parked first. */
  take(key: string, maxMsgPerConnection: number): ParkedSession<L> | undefined {
    for (;;) {
      const entry = this.byKey.get(key)?.at(-1);
      if (!entry) return undefined;
      this.remove(key, entry);
      clearTimeout(entry.timer);
      if (entry.session.parkable && entry.session.canSendMore(maxMsgPerConnection) && !entry.lease?.lost) {
        this.stats.reused++;
        return entry.lease ? { session: entry.session, lease: entry.lease } : { session: entry.session };
      }
      void closeParked(entry);
    }
  }

  /** Sessions parked now. */
  get size(): number {
    let n = 0;
    for (const list of this.byKey.values()) n += list.length;
    return n;
  }

  /** QUIT for every parked session (shutdown). */
  async closeAll(): Promise<void> {
    const all = [...this.byKey.values()].flat();
    this.byKey.clear();
    this.perHop.clear();
    await Promise.all(
      all.map((e) => {
        clearTimeout(e.timer);
        return closeParked(e);
      }),
    );
  }

  private remove(key: string, entry: Parked<L>): boolean {
    const list = this.byKey.get(key);
    const i = list?.indexOf(entry) ?? -1;
    if (!list || i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) this.byKey.delete(key);
    const hop = hopOf(key);
    const n = (this.perHop.get(hop) ?? 1) - 1;
    if (n <= 0) this.perHop.delete(hop);
    else this.perHop.set(hop, n);
    return true;
  }
}
