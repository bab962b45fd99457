/**
 * Cross-queue reuse of idle SMTP sessions. A token run whose queue has no more due mail parks
 * its open, clean sessions here for a moment (`parkMs`, at most `maxPerHop` per next hop)
 * instead of sending QUIT; a run of another queue that would connect to the identical next hop
 * (host:port) from the identical source (IP, EHLO name) under the identical connect policy (TLS
 * policy and versions, CA file, timeouts) takes one instead of opening a new connection. Many
 * domains hosted on one provider's MX (Google Workspace, Microsoft 365) share their sessions.
 *
 * A parked session holds no connection slot: the taker acquires its own queue and VMTA slots
 * first (max-smtp-out per domain holds). A VMTA with its own max-smtp-out never parks
 * (`mayPark`): an idle parked session is an open connection of that VMTA, and the VMTA-wide
 * count must stay exact across next hops, and the session keeps its message count
 * (max-msg-per-connection). Only sessions whose every transaction ended without an error are
 * parked; the last one ended with a reply to the final dot, so no RSET is needed before the next
 * MAIL FROM. Nothing here knows of Redis: a kill loses only idle connections.
 */
import type { DomainPolicy, VmtaConfig } from '@vmta/config';
import type { RouteHost } from '../stages/route.js';
import type { OutboundSource } from '../stages/select-source.js';
import type { SmtpSession } from '../smtp-client/smtp-session.js';
import { smtpTimeoutsOf } from '../smtp-client/connect.js';
import { tlsMinVersionOf, tlsPolicyOf } from '../stages/tls-policy.js';

/** False for a VMTA with its own max-smtp-out: its count of open connections must stay exact. */
export function mayPark(config: VmtaConfig, vmta: string): boolean {
  const cap = config.vmtas[vmta.toLowerCase()]?.settings['max-smtp-out'];
  return cap === undefined || cap === null;
}

/** Default longest wait of a parked session (ms). */
export const SESSION_PARK_MS = 250;
/** Default most sessions parked per next hop (host:port). */
export const SESSION_PARK_MAX_PER_HOP = 20;

type KeyDirectives = Parameters<typeof tlsPolicyOf>[0] &
  Parameters<typeof tlsMinVersionOf>[0] &
  Parameters<typeof smtpTimeoutsOf>[0] &
  Pick<DomainPolicy, 'smtp-tls-ca-file' | 'mx-session-limit'>;

/** What must be identical for two queues to share a session; the next hop first. */
export function parkKeyOf(host: Pick<RouteHost, 'name' | 'ip' | 'port'>, source: OutboundSource, policy: KeyDirectives): string {
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
  ].join('|');
}

const hopOf = (key: string): string => key.slice(0, key.indexOf('|'));

interface Parked {
  session: SmtpSession;
  timer: NodeJS.Timeout;
}

export interface ParkStats {
  parked: number;
  reused: number;
  expired: number;
}

export class SessionPark {
  private readonly byKey = new Map<string, Parked[]>();
  private readonly perHop = new Map<string, number>();
  readonly stats: ParkStats = { parked: 0, reused: 0, expired: 0 };

  constructor(
    readonly parkMs = SESSION_PARK_MS,
    readonly maxPerHop = SESSION_PARK_MAX_PER_HOP,
  ) {}

  /** Parks `session` under `key`; false when it may not wait (the caller closes it). */
  park(key: string, session: SmtpSession): boolean {
    if (this.parkMs <= 0 || this.maxPerHop <= 0 || !session.parkable) return false;
    const hop = hopOf(key);
    if ((this.perHop.get(hop) ?? 0) >= this.maxPerHop) return false;
    const entry: Parked = {
      session,
      timer: setTimeout(() => {
        if (this.remove(key, entry)) {
          this.stats.expired++;
          void session.close().catch(() => undefined);
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

  /** A parked session for `key` that can still carry a message, or undefined; the most recently parked first. */
  take(key: string, maxMsgPerConnection: number): SmtpSession | undefined {
    for (;;) {
      const entry = this.byKey.get(key)?.at(-1);
      if (!entry) return undefined;
      this.remove(key, entry);
      clearTimeout(entry.timer);
      if (entry.session.parkable && entry.session.canSendMore(maxMsgPerConnection)) {
        this.stats.reused++;
        return entry.session;
      }
      void entry.session.close().catch(() => undefined);
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
        return e.session.close().catch(() => undefined);
      }),
    );
  }

  private remove(key: string, entry: Parked): boolean {
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
