/**
 * `vmta disable source IP [QUEUE]`, `vmta enable source IP [QUEUE]` and `vmta show disabled-sources`
 * (PowerMTA's `disable source`, `enable source`, `show disabled-sources`): the operator takes a
 * source IP out of use for one queue (`domain/vmta`) or every queue (`*`, the default), or puts it
 * back (enable without a queue: every entry of the IP, per queue or not). The list is the one delivery obeys (queue/src/disabled-sources.ts), so every delivery process
 * follows within a second; a queue whose sources are all disabled waits (its mail stays queued).
 * An operator's disable has no timer. Each change is one log line (PowerMTA writes no accounting
 * record for it) and, with the configuration given, a notice to disabled-source-ip-notify
 * (actions/notices.ts; enable without a queue: one per entry it removed).
 */
import net from 'node:net';
import { ALL_QUEUES, type DisabledSource } from '@vmta/queue';
import type { Cluster } from '../cluster.js';
import { SourceArgumentError } from '../errors.js';
import { tellSourceChange, type NoticeLog, type NoticeOptions } from './notices.js';

export interface SourceChange {
  ip: string;
  queue: string;
  /** False when it was already disabled (for disable) or not disabled (for enable). */
  changed: boolean;
}

/** Where an action logs its change (and its notices): a pino logger fits. */
export interface ChangeLog extends NoticeLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface SourceChangeOptions {
  log?: ChangeLog;
  /** The configuration in force: given, the change is told to disabled-source-ip-notify. */
  config?: NoticeOptions['config'];
}

/** The IP and queue as the list keeps them; throws SourceArgumentError. Pure. */
export function sourceTarget(ip: string, queue: string | undefined): { ip: string; queue: string } {
  const plain = ip.trim().toLowerCase();
  if (net.isIP(plain) === 0) throw new SourceArgumentError(`not an IP address: ${JSON.stringify(ip)}`);
  const q = queue?.trim() || ALL_QUEUES;
  if (q !== ALL_QUEUES && (q.includes('*') || q.lastIndexOf('/') <= 0 || q.endsWith('/'))) {
    throw new SourceArgumentError(`give the queue as DOMAIN/VMTA (or none for every queue): ${JSON.stringify(queue)}`);
  }
  return { ip: plain, queue: q };
}

export async function disableSource(cluster: Cluster, ip: string, queue?: string, o: SourceChangeOptions & { now?: number } = {}): Promise<SourceChange> {
  const target = sourceTarget(ip, queue);
  const entry: DisabledSource = { ...target, reason: 'disabled by the operator', rule: '', since: o.now ?? Date.now() };
  const changed = await cluster.sources.disable(entry);
  o.log?.warn({ event: 'source-disabled', ...target, by: 'operator', changed }, `source ${target.ip} disabled for ${target.queue}`);
  if (changed && o.config) await tellSourceChange(cluster, { config: o.config, ...(o.log ? { log: o.log } : {}) }, 'disabled', entry);
  return { ...target, changed };
}

export async function enableSource(cluster: Cluster, ip: string, queue?: string, o: SourceChangeOptions = {}): Promise<SourceChange> {
  const target = sourceTarget(ip, queue);
  const removed = await cluster.sources.enableEntries(target.ip, target.queue);
  const changed = removed.length > 0;
  o.log?.warn({ event: 'source-enabled', ...target, by: 'operator', changed }, `source ${target.ip} enabled for ${target.queue}`);
  if (o.config) for (const e of removed) await tellSourceChange(cluster, { config: o.config, ...(o.log ? { log: o.log } : {}) }, 'enabled', e);
  return { ...target, changed };
}

/** One line of `show disabled-sources`, times as ISO text. */
export interface DisabledSourceRow {
  ip: string;
  queue: string;
  /** The reply that matched, or "disabled by the operator". */
  reason: string;
  /** The smtp-pattern-list rule (file:line); "" for the operator. */
  rule: string;
  since: string;
  /** Absent: until enabled by hand. */
  until?: string;
}

/** The sources disabled now, oldest first. */
export async function disabledSourceRows(cluster: Cluster, now = Date.now()): Promise<DisabledSourceRow[]> {
  return (await cluster.sources.list(now)).map((e) => ({
    ip: e.ip,
    queue: e.queue,
    reason: e.reason,
    rule: e.rule,
    since: new Date(e.since).toISOString(),
    ...(e.until !== undefined ? { until: new Date(e.until).toISOString() } : {}),
  }));
}
