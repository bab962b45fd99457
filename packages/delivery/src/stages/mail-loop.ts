/**
 * Stage "route" continued: never deliver to ourselves. A relay domain whose MX (or smtp-hosts) is an
 * address:port where this cluster's own smtp-listener listens would circulate a message until
 * max-message-hops stops it at DATA. Instead, as RFC 5321 §5.1 asks of an SMTP client that is one of
 * the MX hosts (and as Postfix does, "mail for X loops back to myself"): drop our own hosts and every
 * host of the same or a worse preference; nothing left means the best MX is us, and the mail bounces
 * (5.4.6 routing loop).
 *
 * Ours are the config's listeners: an address as written (the cluster's, on whichever host), and for
 * a wildcard listener (0/0, ::/0) every address of this host, 127.0.0.0/8 and ::1 included.
 */
import net from 'node:net';
import os from 'node:os';
import type { ListenerConfig } from '@vmta/config';
import type { BounceCategory } from '../bounce-category.js';

/** What of a route host this stage reads (route.ts's RouteHost; not imported: route.ts imports this). */
interface Host {
  name: string;
  ip: string;
  port: number;
  preference: number;
}

/** The bounce of a loop, in route()'s failure shape. */
export interface LoopBounce {
  kind: 'bounce';
  code: 'ROUTE_LOOP';
  enhancedCode: '5.4.6';
  category: BounceCategory;
  message: string;
}

/** Whether a connection to ip:port would reach one of our own listeners. */
export type OwnListener = (ip: string, port: number) => boolean;

const v4mapped = (ip: string): string => (ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip);

function isLocalAddress(ip: string, local: ReadonlySet<string>): boolean {
  const a = v4mapped(ip.toLowerCase());
  return local.has(a) || a.startsWith('127.') || a === '::1' || a === '0.0.0.0' || a === '::';
}

/** This host's interface addresses (the OS's view: what a connect to them reaches). */
export function hostAddresses(): Set<string> {
  return new Set(
    Object.values(os.networkInterfaces())
      .flatMap((list) => list ?? [])
      .map((i) => i.address.toLowerCase()),
  );
}

/** The predicate for a config's listeners; `local` is this host's addresses (default: its interfaces). */
export function ownListenerOf(listeners: readonly Pick<ListenerConfig, 'address'>[], local: ReadonlySet<string> = hostAddresses()): OwnListener {
  return (ip, port) => {
    const target = v4mapped(ip.toLowerCase());
    return listeners.some(({ address: l }) => {
      if (l.port !== port) return false;
      // 0.0.0.0 takes IPv4 only; :: takes both families (dual stack).
      if (l.any) return (l.address === '::' || net.isIPv4(target)) && isLocalAddress(target, local);
      return v4mapped(l.address.toLowerCase()) === target;
    });
  };
}

/**
 * The route without ourselves and the hosts no better than us (RFC 5321 §5.1); a bounce when that
 * leaves nothing.
 */
export function dropOwnHosts<H extends Host>(domain: string, hosts: readonly H[], isOwn: OwnListener): { kind: 'hosts'; hosts: H[] } | LoopBounce {
  const own = hosts.filter((h) => isOwn(h.ip, h.port));
  if (own.length === 0) return { kind: 'hosts', hosts: [...hosts] };
  const ours = Math.min(...own.map((h) => h.preference));
  const better = hosts.filter((h) => h.preference < ours && !isOwn(h.ip, h.port));
  if (better.length > 0) return { kind: 'hosts', hosts: better };
  const h = own[0]!;
  return {
    kind: 'bounce',
    code: 'ROUTE_LOOP',
    enhancedCode: '5.4.6',
    category: 'routing-errors',
    message: `${domain}: mail loop: MX points to us (${h.name} [${h.ip}]:${h.port} is our own smtp-listener)`,
  };
}

const cache = new WeakMap<readonly ListenerConfig[], OwnListener>();

/** ownListenerOf for a loaded config's listeners, made once per config. */
export function ownListenersOf(config: { listeners: readonly ListenerConfig[] }): OwnListener {
  let own = cache.get(config.listeners);
  if (own === undefined) {
    own = ownListenerOf(config.listeners);
    cache.set(config.listeners, own);
  }
  return own;
}
