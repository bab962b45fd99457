/**
 * What a reload does to the bound listeners: a listener whose identity did not change keeps its socket
 * (and its sessions), the others are added (bound) or removed (stop accepting, sessions run on). The
 * identity is what a running smtp-server cannot change: the socket (address:port), implicit TLS, whether
 * STARTTLS exists at all (a certificate or none), and the named source. The certificate itself is not
 * part of it: a kept listener takes a new one for new handshakes.
 */
import type { ListenerConfig } from '@vmta/config';

export function listenerIdentity(l: ListenerConfig): string {
  return [socketOf(l), l.immediateTls ? 'immediate-tls' : 'plain', l.tlsCertificate ? 'certificate' : 'no-certificate', `source=${l.source ?? ''}`].join(' ');
}

/** address:port as configured (port 0 stays 0: such a listener keeps whatever port it got). */
export function socketOf(l: ListenerConfig): string {
  return `${l.address.address}|${l.address.port}`;
}

export interface ListenerPlan<T> {
  /** In the order of the new configuration. */
  keep: Array<{ current: T; next: ListenerConfig }>;
  add: ListenerConfig[];
  remove: T[];
}

/**
 * Compares what runs (each with the identity it was started with) with the new list of listeners.
 * mergeListeners gives one entry per address:port, so identities in `next` are unique.
 */
export function planListeners<T extends { identity: string }>(current: readonly T[], next: readonly ListenerConfig[]): ListenerPlan<T> {
  const byIdentity = new Map(current.map((c) => [c.identity, c]));
  const plan: ListenerPlan<T> = { keep: [], add: [], remove: [] };
  const kept = new Set<T>();
  for (const l of next) {
    const c = byIdentity.get(listenerIdentity(l));
    if (c && !kept.has(c)) {
      kept.add(c);
      plan.keep.push({ current: c, next: l });
    } else {
      plan.add.push(l);
    }
  }
  plan.remove = current.filter((c) => !kept.has(c));
  return plan;
}
