/**
 * The cluster-wide list of disabled sources (queue/src/disabled-sources.ts) as one delivery process
 * reads it: at most once a second for all its token runs together. Each run read it at its start
 * before (one HGETALL a run: one a message on the 1,000-domain load); a run's SourceGate still asks
 * at its start and at most once a second, and gets this process's copy while it is younger than
 * DISABLED_REFRESH_MS. So `vmta sources disable` takes effect within about a second, as before for
 * a run already going. A disable by a run of this process (disable-source-ip) drops the copy: the
 * next run reads Redis again, as does the first run after a timer in the copy ran out
 * (reenable-after takes effect at once). Such a timer is re-enabled, logged and told by the run whose
 * read saw it (the store's read reports each such entry to one caller across the cluster); runs
 * that share that read get the list only.
 */
import type { DisabledSource, DisabledSources } from '@vmta/queue';

/** How old this process's copy of the list may be. */
export const DISABLED_REFRESH_MS = 1_000;

export interface DisabledRead {
  active: DisabledSource[];
  reenabled: DisabledSource[];
}

export class DisabledList {
  private copy: { at: number; active: DisabledSource[] } | undefined;
  private reading: Promise<DisabledRead> | undefined;

  constructor(
    private readonly store: Pick<DisabledSources, 'read' | 'disable'>,
    private readonly refreshMs = DISABLED_REFRESH_MS,
  ) {}

  /** The entries in force (this process's copy while it is fresh); `reenabled` only to the caller whose read found them. */
  async read(now: number): Promise<DisabledRead> {
    if (this.fresh(now)) return { active: this.copy!.active, reenabled: [] };
    if (this.reading) return { active: (await this.reading).active, reenabled: [] };
    const reading = this.store.read(now);
    this.reading = reading;
    try {
      const read = await reading;
      this.copy = { at: now, active: read.active };
      return read;
    } finally {
      this.reading = undefined;
    }
  }

  /** The copy may answer: younger than refreshMs, and no timer in it ran out (that one is re-enabled by a read of Redis at once). */
  private fresh(now: number): boolean {
    const copy = this.copy;
    if (!copy || now - copy.at >= this.refreshMs || now < copy.at) return false;
    return copy.active.every((e) => e.until === undefined || e.until > now);
  }

  /** Disables (see DisabledSources#disable); the copy is dropped so the next run of this process sees it. */
  async disable(entry: DisabledSource): Promise<boolean> {
    const fresh = await this.store.disable(entry);
    this.copy = undefined;
    return fresh;
  }
}
