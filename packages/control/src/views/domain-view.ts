/** What `vmta show topdomains` lists: the queues of each recipient domain added up (PowerMTA's `pmta show topdomains`). */
import type { QueueRow } from './cluster-view.js';

export interface DomainRow {
  domain: string;
  /** How many queues (one per VMTA) hold or held mail for the domain. */
  queues: number;
  queued: number;
  inflight: number;
  deferred: number;
  delivered: number;
  bounced: number;
  oldestAgeSeconds: number;
}

/** Per domain, summed over its queues; most queued first, then by name. Pure. */
export function domainRows(rows: readonly QueueRow[]): DomainRow[] {
  const byDomain = new Map<string, DomainRow>();
  for (const r of rows) {
    const key = r.domain.toLowerCase();
    const d = byDomain.get(key) ?? { domain: key, queues: 0, queued: 0, inflight: 0, deferred: 0, delivered: 0, bounced: 0, oldestAgeSeconds: 0 };
    d.queues += 1;
    d.queued += r.queued;
    d.inflight += r.inflight;
    d.deferred += r.deferred;
    d.delivered += r.delivered;
    d.bounced += r.bounced;
    d.oldestAgeSeconds = Math.max(d.oldestAgeSeconds, r.oldestAgeSeconds);
    byDomain.set(key, d);
  }
  return [...byDomain.values()].sort((a, b) => b.queued - a.queued || a.domain.localeCompare(b.domain));
}
