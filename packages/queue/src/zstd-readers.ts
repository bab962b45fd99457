/**
 * Whether a writer may store zstd bodies (`body-compression zstd`, the default): only while every
 * delivery process alive in the cluster says in its process-registry record that it reads zstd.
 * Versions before zstd send a body of an encoding they do not know as the stored bytes, and versions
 * that read zstd but do not say so (records without `bodyEncodings`) are taken not to read it; while
 * any of them delivers, or no delivery process is alive at all, the listener stores deflate instead.
 * So a rolling upgrade needs no order: bodies turn zstd once the last old delivery process is gone.
 *
 * One read of the process list (ZRANGE + MGET, no writes) every ZSTD_READERS_REFRESH_MS per listener
 * process, on an unref'd timer (sooner while zstd is held back: ZSTD_READERS_RETRY_MS); nothing per message.
 */
import type { Redis } from 'ioredis';
import type { BodyCompression } from './body-codec.js';
import type { Keys } from './keys.js';
import { listProcesses, type ProcessRow } from './process-registry.js';

export const ZSTD_READERS_REFRESH_MS = 5_000;
/**
 * While zstd is held back, the next read comes sooner, from this delay doubling up to the refresh
 * period: a listener started before the delivery processes (the usual order of a fresh start) stores
 * zstd within about a second of the first one's registration, not up to a whole period later.
 */
export const ZSTD_READERS_RETRY_MS = 250;

export interface ZstdReadersView {
  /** true: every alive delivery process reads zstd, and there is at least one. */
  allowed: boolean;
  /** Alive delivery processes that do not say they read zstd (`id` and `version`). */
  notReading: string[];
}

/** Pure: what the process list says. Listener-only processes read no bodies and do not count. */
export function zstdReadersOf(rows: readonly Pick<ProcessRow, 'id' | 'role' | 'alive' | 'version' | 'bodyEncodings'>[]): ZstdReadersView {
  const delivering = rows.filter((r) => r.alive && r.role !== 'listener');
  const notReading = delivering.filter((r) => !r.bodyEncodings?.includes('zstd')).map((r) => `${r.id}${r.version ? ` (${r.version})` : ''}`);
  return { allowed: delivering.length > 0 && notReading.length === 0, notReading };
}

/** Pure: the compression a writer uses for `wanted` given what the readers allow. */
export function effectiveBodyCompression(wanted: BodyCompression, zstdAllowed: boolean): BodyCompression {
  return wanted === 'zstd' && !zstdAllowed ? 'deflate' : wanted;
}

/**
 * Keeps ZstdReadersView fresh. `allowed` is false until the first read succeeds; a failed read keeps
 * the last view (a Redis outage changes no process's version).
 */
export class ZstdReaders {
  private view: ZstdReadersView = { allowed: false, notReading: [] };
  private timer: NodeJS.Timeout | undefined;
  /** Bumped by start and stop: a read still in flight from before a stop schedules nothing. */
  private generation = 0;
  private running = false;
  private inFlight: Promise<ZstdReadersView> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly options: { refreshMs?: number; onChange?: (view: ZstdReadersView, before: ZstdReadersView) => void; now?: () => number } = {},
  ) {}

  get allowed(): boolean {
    return this.view.allowed;
  }

  get current(): ZstdReadersView {
    return this.view;
  }

  /** Reads the process list now (a read already on the wire is shared). */
  refresh(): Promise<ZstdReadersView> {
    this.inFlight ??= this.read().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick(ZSTD_READERS_RETRY_MS, ++this.generation);
  }

  stop(): void {
    this.running = false;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Reads now, then again after the period, or sooner (`retryMs`, doubling) while zstd is held back. */
  private tick(retryMs: number, generation: number): void {
    void this.refresh()
      .catch(() => undefined)
      .then(() => {
        if (generation !== this.generation) return;
        const period = this.options.refreshMs ?? ZSTD_READERS_REFRESH_MS;
        const allowed = this.view.allowed;
        this.timer = setTimeout(() => this.tick(allowed ? ZSTD_READERS_RETRY_MS : retryMs * 2, generation), allowed ? period : Math.min(retryMs, period));
        this.timer.unref();
      });
  }

  private async read(): Promise<ZstdReadersView> {
    const rows = await listProcesses(this.redis, this.keys, { now: this.options.now?.(), prune: false });
    const next = zstdReadersOf(rows);
    const before = this.view;
    this.view = next;
    if (before.allowed !== next.allowed || before.notReading.join() !== next.notReading.join()) this.options.onChange?.(next, before);
    return next;
  }
}
