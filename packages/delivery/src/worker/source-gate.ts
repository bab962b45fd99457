/**
 * Which source IPs a token run of a queue may use: the cluster-wide list of disabled sources
 * (queue/src/disabled-sources.ts), asked for at the run's start and again at most once a second
 * (this process's copy, read from Redis at most once a second: disabled-list.ts), and
 * the `disable-source-ip` action of matched `<smtp-pattern-list>` rules applied to the IP that got
 * the reply. Every change is one log line, and a notice to `disabled-source-ip-notify` when set.
 * A re-enable by timer is done (and told) by the first process that sees the timer ran out.
 */
import type { DomainPolicy } from '@vmta/config';
import { disabledFor, type DisabledSource, type Notices, type QueueRef } from '@vmta/queue';
import type { DisabledList } from './disabled-list.js';
import type { Logger } from 'pino';
import { sourceDisableOf, type PatternHit } from '../stages/pattern-actions.js';

/** How often a run reads the disabled sources again (a timer that ran out takes effect within this). */
export const REFRESH_MS = 1_000;
/** With every source disabled and no timer, the queue looks again this often (an operator may enable one). */
const ALL_DISABLED_RECHECK_MS = 5_000;

export class SourceGate {
  private disabled = new Map<string, DisabledSource>();
  private ips: ReadonlySet<string> = new Set();
  private readAt = -Infinity;

  constructor(
    private readonly store: Pick<DisabledList, 'read' | 'disable'> | undefined,
    private readonly ref: QueueRef,
    private readonly policy: DomainPolicy,
    private readonly log: Logger,
    private readonly notifier?: Notices,
  ) {}

  /** The IPs disabled for this queue now (read again when the last read is a second old). */
  async disabledIps(now: number): Promise<ReadonlySet<string>> {
    if (this.store && now - this.readAt >= REFRESH_MS) {
      this.readAt = now;
      const { active, reenabled } = await this.store.read(now);
      this.disabled = disabledFor(active, this.ref.queue);
      this.ips = new Set(this.disabled.keys());
      for (const e of reenabled) await this.changed('enabled', e, { by: 'reenable-after' });
    }
    return this.ips;
  }

  /** When a queue whose sources are all disabled looks again: the first timer to run out, at most a few seconds away. */
  wakeAt(now: number): number {
    const timers = [...this.disabled.values()].flatMap((e) => (e.until === undefined ? [] : [e.until]));
    return Math.min(now + ALL_DISABLED_RECHECK_MS, ...timers);
  }

  /** Applies disable-source-ip of the hits to `ip` (the source that got the replies); true when it disabled it. */
  async apply(hits: readonly PatternHit[], ip: string | undefined, now: number): Promise<boolean> {
    const d = sourceDisableOf(hits, this.policy, now);
    if (d === undefined || ip === undefined || this.store === undefined) return false;
    const entry: DisabledSource = { ip, queue: this.ref.queue, reason: d.hit.response, rule: d.hit.rule, since: now, ...(d.until !== undefined ? { until: d.until } : {}) };
    const fresh = await this.store.disable(entry);
    this.disabled.set(ip, entry);
    this.ips = new Set(this.disabled.keys());
    // Disabled again by another connection (a new timer): logged, told only once.
    await this.changed('disabled', entry, fresh ? {} : { again: true }, fresh);
    return true;
  }

  private async changed(change: 'disabled' | 'enabled', e: DisabledSource, fields: Record<string, unknown>, tell = true): Promise<void> {
    const until = e.until !== undefined ? { until: new Date(e.until).toISOString() } : {};
    this.log.warn({ event: `source-${change}`, ip: e.ip, queue: e.queue, reply: e.reason, rule: e.rule, ...until, ...fields }, `source ${e.ip} ${change} for ${e.queue}`);
    if (!tell || !this.notifier) return;
    const notify = this.policy['disabled-source-ip-notify'];
    try {
      const id = await this.notifier.source(change, e, notify, this.ref.vmta);
      if (id !== undefined) this.log.info({ event: 'source-notice', change, ip: e.ip, queue: e.queue, to: notify, id }, 'source notice queued');
    } catch (err) {
      this.log.warn({ event: 'source-notice-failed', ip: e.ip, err: (err as Error).message }, 'could not queue the notice');
    }
  }
}
