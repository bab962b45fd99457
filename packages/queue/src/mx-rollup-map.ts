/**
 * The MX rollup decisions shared by delivery (which resolves MX and writes them) and the listener
 * (which reads them at enqueue): recipient domain -> rollup name, each valid until a time. Only
 * rolled-up domains are kept (a domain found not rolled up is dropped), so the hash grows with the
 * rolled-up domains, not with every domain mail ever went to. One hash (`Keys.mxRollupMap`); a stale or missing entry only costs a detour: the
 * mail goes to the domain's own queue and delivery moves it (scripts/move-to-queue.ts).
 */
import type { Redis } from 'ioredis';
import { Keys } from './keys.js';

interface Entry {
  name: string;
  until: number;
}

export class MxRollupMap {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys = new Keys(),
  ) {}

  /** The rollup name of each domain that has a decision still valid at `now` ('' = not rolled up); other domains are absent. */
  async lookup(domains: readonly string[], now: number): Promise<Map<string, string>> {
    const unique = [...new Set(domains)];
    const out = new Map<string, string>();
    if (unique.length === 0) return out;
    const values = await this.redis.hmget(this.keys.mxRollupMap(), ...unique);
    unique.forEach((domain, i) => {
      const entry = parse(values[i]);
      if (entry && entry.until > now) out.set(domain, entry.name);
    });
    return out;
  }

  /** Records that `domain` rolls up into `name` ('' = it does not) until `until` (ms). */
  async record(domain: string, name: string, until: number): Promise<void> {
    await this.redis.hset(this.keys.mxRollupMap(), domain, JSON.stringify({ name, until } satisfies Entry));
  }

  /** Drops the decision of `domain` (it is not rolled up, or no longer): the hash keeps rolled-up domains only. */
  async forget(domain: string): Promise<void> {
    await this.redis.hdel(this.keys.mxRollupMap(), domain);
  }

  /** Every decision, valid or not (for `show queues`). */
  async all(): Promise<Map<string, Entry>> {
    const raw = await this.redis.hgetall(this.keys.mxRollupMap());
    const out = new Map<string, Entry>();
    for (const [domain, value] of Object.entries(raw)) {
      const entry = parse(value);
      if (entry) out.set(domain, entry);
    }
    return out;
  }
}

function parse(value: string | null | undefined): Entry | undefined {
  if (!value) return undefined;
  try {
    const e = JSON.parse(value) as Partial<Entry>;
    return typeof e.name === 'string' && typeof e.until === 'number' ? { name: e.name, until: e.until } : undefined;
  } catch {
    return undefined;
  }
}
