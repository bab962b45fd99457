/** Prometheus metrics of the cluster, built on each scrape from a Redis snapshot (a registry of our own, never the global one). */
import { Gauge, Registry } from 'prom-client';
import type { QueueRow, Totals } from '@vmta/queue';

const QUEUE_LABELS = ['queue', 'domain', 'vmta'] as const;

/** A fresh registry holding the snapshot: concurrent scrapes never see each other's values. */
export function metricsRegistry(rows: readonly QueueRow[], totals: Totals): Registry {
  const registry = new Registry();
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers: [registry] });

  const recipients = gauge('vmta_queue_recipients', 'Recipients not yet final in the queue.', QUEUE_LABELS);
  const inflight = gauge('vmta_queue_inflight', 'Messages of the queue held by a connection right now.', QUEUE_LABELS);
  const oldest = gauge('vmta_queue_oldest_age_seconds', 'Age of the oldest message of the queue.', QUEUE_LABELS);
  const queueDelivered = gauge('vmta_queue_delivered_total', 'Recipients delivered from the queue.', ['queue']);
  const queueBounced = gauge('vmta_queue_bounced_total', 'Recipients bounced from the queue.', ['queue']);
  for (const r of rows) {
    const labels = { queue: r.queue, domain: r.domain, vmta: r.vmta };
    recipients.set(labels, r.queued);
    inflight.set(labels, r.inflight);
    oldest.set(labels, r.oldestAgeSeconds);
    queueDelivered.set({ queue: r.queue }, r.delivered);
    queueBounced.set({ queue: r.queue }, r.bounced);
  }
  // Cluster totals are counters kept in Redis; a Gauge exposes them as read.
  gauge('vmta_received_total', 'Recipients received by the cluster.').set(totals.received);
  gauge('vmta_delivered_total', 'Recipients delivered by the cluster.').set(totals.delivered);
  gauge('vmta_bounced_total', 'Recipients bounced by the cluster.').set(totals.bounced);
  gauge('vmta_deferred_total', 'Delivery attempts deferred by the cluster.').set(totals.deferred);
  return registry;
}
