/**
 * Disabled source IPs (PowerMTA's `disable-source-ip` rule action and `disable source` command):
 * one hash in Redis, so every delivery process on every host obeys the same list and it survives
 * restarts. An entry names an IP and the queue (`domain/vmta`) it is disabled for, or `*` for
 * every queue; one with `until` is re-enabled once that time passed, by the first process that
 * sees it (enableSourceIf: exactly one of them gets true and reports it).
 */
import type { Redis } from 'ioredis';
import { Keys } from './keys.js';
import { scripts } from './scripts/index.js';

/** Every queue: `vmta disable source IP` without a queue. */
export const ALL_QUEUES = '*';

export interface DisabledSource {
  ip: string;
  /** The queue it is disabled for, `*` for every queue. */
  queue: string;
  /** The reply that matched, or "disabled by the operator". */
  reason: string;
  /** The smtp-pattern-list rule, file:line ("" when the operator did it). */
  rule: string;
  since: number;
  /** Re-enabled at this time (ms); absent: until enabled by hand. */
  until?: number;
}

const field = (ip: string, queue: string): string => `${ip}|${queue}`;

export class DisabledSources {
  private readonly keys: Keys;
  constructor(
    private readonly redis: Redis,
    prefix?: string,
  ) {
    this.keys = new Keys(prefix);
  }

  /** Disables (or disables again, with the new reason and timer); true when it was not disabled before. */
  async disable(entry: DisabledSource): Promise<boolean> {
    const added = await this.redis.hset(this.keys.disabledSources(), field(entry.ip, entry.queue), JSON.stringify(entry));
    return added === 1;
  }

  /** Enables again; true when it was disabled. `*`: for every queue, whatever entries the IP has. */
  async enable(ip: string, queue: string): Promise<boolean> {
    return (await this.enableEntries(ip, queue)).length > 0;
  }

  /** Like enable; the entries this call removed (each reported to exactly one caller across the cluster). */
  async enableEntries(ip: string, queue: string): Promise<DisabledSource[]> {
    const key = this.keys.disabledSources();
    const all = await this.redis.hgetall(key);
    const names = queue !== ALL_QUEUES ? [field(ip, queue)] : Object.keys(all).filter((f) => f.startsWith(`${ip}|`));
    const removed: DisabledSource[] = [];
    for (const name of names) {
      const json = all[name];
      if (json === undefined) continue;
      if ((await this.redis.hdel(key, name)) === 1) removed.push(parse(json) ?? { ip, queue: name.slice(name.indexOf('|') + 1), reason: '', rule: '', since: 0 });
    }
    return removed;
  }

  /**
   * The entries in force at `now`, and the ones whose timer ran out that this call re-enabled
   * (each reported to exactly one caller across the cluster).
   */
  async read(now: number): Promise<{ active: DisabledSource[]; reenabled: DisabledSource[] }> {
    const key = this.keys.disabledSources();
    const all = await this.redis.hgetall(key);
    const active: DisabledSource[] = [];
    const reenabled: DisabledSource[] = [];
    for (const [name, json] of Object.entries(all)) {
      const entry = parse(json);
      if (entry === undefined) continue;
      if (entry.until === undefined || entry.until > now) active.push(entry);
      else if (await scripts(this.redis).enableSourceIf(key, name, json)) reenabled.push(entry);
    }
    active.sort(bySince);
    return { active, reenabled };
  }

  /**
   * The entries in force at `now`, oldest first, for views: expired ones are left out but not
   * removed (the delivery process that removes one logs and tells it).
   */
  async list(now: number): Promise<DisabledSource[]> {
    const all = Object.values(await this.redis.hgetall(this.keys.disabledSources())).flatMap((json) => parse(json) ?? []);
    return all.filter((e) => e.until === undefined || e.until > now).sort(bySince);
  }
}

/** The entries of `active` that apply to `queue`, by IP (a queue's own entry wins over `*`). */
export function disabledFor(active: readonly DisabledSource[], queue: string): Map<string, DisabledSource> {
  const out = new Map<string, DisabledSource>();
  for (const e of active) if (e.queue === ALL_QUEUES) out.set(e.ip, e);
  for (const e of active) if (e.queue === queue) out.set(e.ip, e);
  return out;
}

const bySince = (a: DisabledSource, b: DisabledSource): number => a.since - b.since || a.ip.localeCompare(b.ip);

function parse(json: string): DisabledSource | undefined {
  try {
    const v = JSON.parse(json) as DisabledSource;
    return typeof v.ip === 'string' && typeof v.queue === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
