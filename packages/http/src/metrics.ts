/**
 * Prometheus metrics of the cluster, built on each scrape from a Redis snapshot (a registry of
 * our own, never the global one). Cluster counters live in Redis; a fresh registry per scrape
 * lets a Counter carry their value as read, so they are typed `counter` as Prometheus expects.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { EventStreamState, QueueRow, ReportCounts, SuppressTenantCount, Totals } from '@vmta/control';
import { LATENCY_BUCKETS, type LatencyHistogram } from '@vmta/queue';

const QUEUE_LABELS = ['queue', 'domain', 'vmta'] as const;

export interface MetricsSnapshot {
  rows: readonly QueueRow[];
  totals: Totals;
  /** Live outbound connections per VMTA, all delivery processes together. */
  connectionsOut: ReadonlyMap<string, number>;
  latency: ReadonlyMap<string, LatencyHistogram>;
  /** Source IPs disabled now (disable-source-ip, `vmta disable source`); queue `*` = every queue. */
  disabledSources?: ReadonlyArray<{ ip: string; queue: string }>;
  /** Reports taken by the feedback loop and bounce processors, and mail they kept unparsed. */
  reports?: ReportCounts;
  /** The event stream's length and each <webhook> group's lag. */
  events?: EventStreamState;
  /** Entries of each tenant's suppression store (HLEN: expired entries not yet swept count). */
  suppressions?: readonly SuppressTenantCount[];
  /** Messages the processors keep unparsed now (the stream's length). */
  unparsedKept?: number;
}

/** A fresh registry holding the snapshot: concurrent scrapes never see each other's values. */
export function metricsRegistry(snapshot: Omit<MetricsSnapshot, 'latency'>): Registry {
  const registry = new Registry();
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) => new Gauge<L>({ name, help, labelNames, registers: [registry] });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) => new Counter<L>({ name, help, labelNames, registers: [registry] });

  const recipients = gauge('vmta_queue_recipients', 'Recipients not yet final in the queue.', QUEUE_LABELS);
  const inflight = gauge('vmta_queue_inflight', 'Messages of the queue held by a connection right now.', QUEUE_LABELS);
  const waiting = gauge('vmta_queue_deferred', 'Messages of the queue waiting for a later attempt.', QUEUE_LABELS);
  const oldest = gauge('vmta_queue_oldest_age_seconds', 'Age of the oldest message of the queue.', QUEUE_LABELS);
  const paused = gauge('vmta_queue_paused', '1 when the queue is paused by an operator.', QUEUE_LABELS);
  const retrying = gauge('vmta_queue_retry', '1 when the queue is in retry mode.', QUEUE_LABELS);
  const backingOff = gauge('vmta_queue_backoff', '1 when the queue is in backoff mode (backoff-* limits apply), also while retry or a pause hide it.', QUEUE_LABELS);
  const queueDelivered = counter('vmta_queue_delivered_total', 'Recipients delivered from the queue.', QUEUE_LABELS);
  const queueBounced = counter('vmta_queue_bounced_total', 'Recipients bounced from the queue.', QUEUE_LABELS);
  for (const r of snapshot.rows) {
    const labels = { queue: r.queue, domain: r.domain, vmta: r.vmta };
    recipients.set(labels, r.queued);
    inflight.set(labels, r.inflight);
    waiting.set(labels, r.deferred);
    oldest.set(labels, r.oldestAgeSeconds);
    paused.set(labels, r.mode === 'paused' ? 1 : 0);
    retrying.set(labels, r.mode === 'retry' ? 1 : 0);
    backingOff.set(labels, r.backoff ? 1 : 0);
    queueDelivered.inc(labels, r.delivered);
    queueBounced.inc(labels, r.bounced);
  }
  const out = gauge('vmta_connections_out', 'Open outbound SMTP connections of the VMTA, all delivery processes together.', ['vmta']);
  for (const [vmta, n] of snapshot.connectionsOut) out.set({ vmta }, n);
  const disabled = snapshot.disabledSources ?? [];
  gauge('vmta_disabled_sources', 'Source IPs disabled now (each IP and queue once; queue "*" = every queue).').set(disabled.length);
  const sourceDisabled = gauge('vmta_source_disabled', '1 for each source IP disabled for a queue ("*": every queue).', ['ip', 'queue']);
  for (const d of disabled) sourceDisabled.set({ ip: d.ip, queue: d.queue }, 1);
  if (snapshot.events) {
    const ev = snapshot.events;
    gauge('vmta_event_stream_length', 'Entries in the event (accounting) stream.').set(ev.length);
    gauge('vmta_event_stream_cap', 'MAXLEN cap of the event stream: past it, events no group acked are dropped.').set(ev.cap);
    const pending = gauge('vmta_webhook_pending', 'Events of the webhook being sent or retried (read, not acked).', ['webhook']);
    const age = gauge('vmta_webhook_oldest_pending_age_seconds', 'Age of the oldest event the webhook has not acked.', ['webhook']);
    const unread = gauge('vmta_webhook_unread', 'Events of the stream the webhook has not read yet.', ['webhook']);
    for (const w of ev.webhooks) {
      pending.set({ webhook: w.webhook }, w.pending);
      age.set({ webhook: w.webhook }, w.oldestPendingAgeMs / 1000);
      if (w.unread !== undefined) unread.set({ webhook: w.webhook }, w.unread);
    }
  }
  const { totals } = snapshot;
  counter('vmta_received_total', 'Recipients received by the cluster.').inc(totals.received);
  counter('vmta_delivered_total', 'Recipients delivered by the cluster.').inc(totals.delivered);
  counter('vmta_bounced_total', 'Recipients bounced by the cluster.').inc(totals.bounced);
  counter('vmta_deferred_total', 'Delivery attempts deferred by the cluster.').inc(totals.deferred);
  if (snapshot.reports) {
    const reports = counter('vmta_reports_total', 'Mail to the feedback loop and bounce processors: kind fbl and bounce processed, unparsed kept (not a report).', ['kind']);
    for (const kind of ['fbl', 'bounce', 'unparsed'] as const) reports.inc({ kind }, snapshot.reports[kind]);
  }
  if (snapshot.suppressions) {
    const suppressed = gauge('vmta_suppressed_addresses', 'Addresses in the tenant\'s suppression store (tenant "*": the store of every tenant; expired entries not yet swept count).', ['tenant']);
    for (const s of snapshot.suppressions) suppressed.set({ tenant: s.tenant }, s.entries);
  }
  if (snapshot.unparsedKept !== undefined) gauge('vmta_reports_unparsed_kept', 'Mail the feedback loop and bounce processors keep because it was not a report (vmta show unparsed-reports).').set(snapshot.unparsedKept);
  return registry;
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/**
 * `vmta_delivery_latency_seconds` in the text format. prom-client's Histogram only observes single
 * values; ours are counters already summed in Redis, so the buckets are written out directly.
 */
export function latencyText(latency: ReadonlyMap<string, LatencyHistogram>): string {
  const name = 'vmta_delivery_latency_seconds';
  const lines = [`# HELP ${name} Time from receipt to delivery of delivered recipients, per VMTA.`, `# TYPE ${name} histogram`];
  for (const [vmta, h] of [...latency].sort(([a], [b]) => a.localeCompare(b))) {
    const v = escapeLabel(vmta);
    let cumulative = 0;
    LATENCY_BUCKETS.forEach((le, i) => {
      cumulative += h.buckets[i] ?? 0;
      lines.push(`${name}_bucket{vmta="${v}",le="${le}"} ${cumulative}`);
    });
    lines.push(`${name}_bucket{vmta="${v}",le="+Inf"} ${h.count}`);
    lines.push(`${name}_sum{vmta="${v}"} ${h.sum}`);
    lines.push(`${name}_count{vmta="${v}"} ${h.count}`);
  }
  return `${lines.join('\n')}\n`;
}
