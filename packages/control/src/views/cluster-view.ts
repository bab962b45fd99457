/** The cluster seen from Redis: every queue with its stats, the totals, the per-minute history, the processes. Shared by the CLI and the HTTP server. */
import { epochMinute, listProcesses, MxRollupMap, MINUTE_FIELDS, MINUTE_MS, queueCount, queueNames, REPORT_TOTALS, type ProcessRow, type QueueStats, zstdReadersOf, type ZstdReadersView } from '@vmta/queue';
import type { Cluster } from '../cluster.js';
import { splitQueueName } from '../queue-ref.js';

export interface QueueRow extends QueueStats {
  domain: string;
  vmta: string;
  /** A rolled-up queue (NAME.rollup/vmta): the recipient domains delivery found rolled up into NAME, sorted. */
  members?: string[];
}

export interface Totals {
  received: number;
  delivered: number;
  bounced: number;
  deferred: number;
}

/** Every queue of the cluster with its stats, sorted by queued (desc), then name: what `vmta show queues` lists. */
export async function queueRows({ redis, keys, ops }: Cluster, now = Date.now()): Promise<QueueRow[]> {
  const [names, members] = await Promise.all([queueNames(redis, keys), rollupMembers(new MxRollupMap(redis, keys), now)]);
  const rows = await Promise.all(
    names.map(async (name) => {
      const ref = splitQueueName(name);
      const of = members.get(ref.domain);
      return { ...ref, ...(await ops.stats(name, now)), ...(of ? { members: of } : {}) };
    }),
  );
  return rows.sort((a, b) => b.queued - a.queued || a.queue.localeCompare(b.queue));
}

/** Rollup name -> the domains rolled up into it (decisions still valid at `now`), sorted. */
async function rollupMembers(map: MxRollupMap, now: number): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const [domain, { name, until }] of await map.all()) {
    if (name !== '' && until > now) out.set(name, [...(out.get(name) ?? []), domain].sort());
  }
  return out;
}

/** Why a queue is in backoff, as JSON carries it: times in ISO, `rule` the smtp-pattern-list rule's file:line ("" when set by the operator). */
export interface BackoffJson {
  reason: string;
  rule: string;
  since: string;
  until?: string;
}

/**
 * A queue row as JSON carries it (`vmta show queues --json`, GET /queues): `retryAt` as an ISO time, absent outside retry;
 * `backoff` (why, since, until) while the queue is in backoff, also when retry or a pause hide it. Pure.
 */
export function queueRowJson({ retryAt, backoff, ...row }: QueueRow): Omit<QueueRow, 'retryAt' | 'backoff'> & { retryAt?: string; backoff?: BackoffJson } {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    ...row,
    ...(retryAt ? { retryAt: iso(retryAt) } : {}),
    ...(backoff
      ? { backoff: { reason: backoff.reason, rule: backoff.rule, since: iso(backoff.since), ...(backoff.until !== undefined ? { until: iso(backoff.until) } : {}) } }
      : {}),
  };
}

export async function clusterTotals({ redis, keys }: Cluster): Promise<Totals> {
  const h = await redis.hgetall(keys.totals());
  const n = (v: string | undefined) => Number(v ?? 0) || 0;
  return { received: n(h.received), delivered: n(h.delivered), bounced: n(h.bounced), deferred: n(h.deferred) };
}

/** What the feedback loop and bounce processors took: reports processed by kind, and mail kept unparsed. */
export interface ReportCounts {
  fbl: number;
  bounce: number;
  unparsed: number;
}

export async function reportCounts({ redis, keys }: Cluster): Promise<ReportCounts> {
  const [fbl, bounce, unparsed] = await redis.hmget(keys.totals(), REPORT_TOTALS.fbl, REPORT_TOTALS.bounce, REPORT_TOTALS.unparsed);
  const n = (v: string | null | undefined) => Number(v ?? 0) || 0;
  return { fbl: n(fbl), bounce: n(bounce), unparsed: n(unparsed) };
}

export interface MinuteCounts extends Totals {
  /** Start of the minute (ms since the epoch). */
  t: number;
}

/**
 * The last `minutes` minutes of counters, oldest first, zeros where nothing
 * happened; the last entry is the current (incomplete) minute. One pipeline.
 */
export async function clusterHistory({ redis, keys }: Cluster, minutes = 60, now = Date.now()): Promise<MinuteCounts[]> {
  const last = epochMinute(now);
  const span = Array.from({ length: Math.max(0, Math.floor(minutes)) }, (_, i) => last - minutes + 1 + i);
  if (span.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const m of span) pipeline.hgetall(keys.minuteCounters(m));
  const results = (await pipeline.exec()) ?? [];
  return span.map((m, i) => {
    const [err, h] = results[i] ?? [null, {}];
    if (err) throw err;
    const n = (v: string | undefined) => Number(v ?? 0) || 0;
    const c = (h ?? {}) as Record<string, string>;
    return { t: m * MINUTE_MS, received: n(c.received), delivered: n(c.delivered), bounced: n(c.bounced), deferred: n(c.deferred) };
  });
}

export interface ProcessView {
  id: string;
  role: string;
  host: string;
  pid: number;
  alive: boolean;
  startedAt: string;
  uptimeSeconds: number;
  lastSeen: string;
  vmtas: string[];
  listeners: string[];
  version?: string;
  /** The configuration file it runs (a path on its host). */
  config?: string;
  /** The body encodings it reads (absent: a version that does not say, taken to read raw and deflate). */
  bodyEncodings?: string[];
}

/** What `vmta show status --json` prints and GET /status serves (the HTTP server adds its version and uptime). */
export interface ClusterStatus {
  queues: number;
  totals: Totals;
  /** The last complete minute. */
  perMinute: Totals;
  /** Average of the last five complete minutes. */
  perMinute5: Totals;
  processes: ProcessView[];
  /** Whether listeners set to zstd (the default) may write it: every alive delivery process reads zstd. */
  zstdReaders: ZstdReadersView;
}

function sumOf(rows: readonly Totals[]): Totals {
  const sum = { received: 0, delivered: 0, bounced: 0, deferred: 0 };
  for (const r of rows) for (const f of MINUTE_FIELDS) sum[f] += r[f];
  return sum;
}

/** Rates from a history whose last entry is the current minute: the last complete one, and the mean of the five before. Pure. */
export function minuteRates(history: readonly Totals[]): { perMinute: Totals; perMinute5: Totals } {
  const complete = history.slice(0, -1);
  const five = complete.slice(-5);
  const sum = sumOf(five);
  const mean = (v: number) => (five.length === 0 ? 0 : Math.round((v / five.length) * 100) / 100);
  const last = complete.at(-1);
  return {
    perMinute: last ? { received: last.received, delivered: last.delivered, bounced: last.bounced, deferred: last.deferred } : sumOf([]),
    perMinute5: { received: mean(sum.received), delivered: mean(sum.delivered), bounced: mean(sum.bounced), deferred: mean(sum.deferred) },
  };
}

/** A registered process as operators read it: ISO times, uptime in seconds. Pure. */
export function processView(p: ProcessRow, now: number): ProcessView {
  const until = p.alive ? now : p.lastSeen;
  return {
    id: p.id,
    role: p.role,
    host: p.host,
    pid: p.pid,
    alive: p.alive,
    startedAt: new Date(p.startedAt).toISOString(),
    uptimeSeconds: Math.max(0, Math.round((until - p.startedAt) / 1000)),
    lastSeen: new Date(p.lastSeen).toISOString(),
    vmtas: p.vmtas,
    listeners: p.listeners,
    ...(p.version ? { version: p.version } : {}),
    ...(p.bodyEncodings ? { bodyEncodings: p.bodyEncodings } : {}),
    ...(p.config ? { config: p.config } : {}),
  };
}

export async function clusterStatus(cluster: Cluster, now = Date.now()): Promise<ClusterStatus> {
  const { redis, keys } = cluster;
  const [queues, totals, history, processes] = await Promise.all([
    queueCount(redis, keys),
    clusterTotals(cluster),
    clusterHistory(cluster, 6, now),
    listProcesses(redis, keys, { now }),
  ]);
  return { queues, totals, ...minuteRates(history), processes: processes.map((p) => processView(p, now)), zstdReaders: zstdReadersOf(processes) };
}

/** Whether an alive process delivers mail (and so carries out deletes now rather than when one starts). */
export async function deliveryRunning({ redis, keys }: Cluster): Promise<boolean> {
  return (await listProcesses(redis, keys)).some((p) => p.alive && p.role !== 'listener');
}
