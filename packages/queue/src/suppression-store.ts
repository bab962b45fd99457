/**
 * The suppression store: per tenant (an smtp-user, a source, or one global store), the recipient
 * addresses refused at RCPT, each with its reason (a bounce category or `manual`), when it was added,
 * when it expires (0 = never) and where it came from (queue, reply). One hash per tenant keyed by the
 * lower-cased address: a lookup is one HGET, an expired entry counts as absent until a write sweeps it.
 */
import type { Redis } from 'ioredis';
import { Keys } from './keys.js';
import { scripts } from './scripts/index.js';
import type { SuppressAddEntry } from './scripts/suppress-add.js';

export interface Suppression {
  address: string;
  reason: string;
  addedMs: number;
  /** 0 = never. */
  expiresMs: number;
  queue?: string;
  reply?: string;
}

export interface SuppressionInput {
  address: string;
  reason: string;
  /** Lifetime in ms from `now`; 0 or absent = never expires. */
  ttlMs?: number;
  queue?: string;
  reply?: string;
}

const SEP = '|';
/** The store that applies to every tenant (`vmta suppress add` without --tenant). */
export const GLOBAL_STORE = '*';
/** Entries per script call when adding many (an import). */
const ADD_CHUNK = 2000;

function clean(text: string | undefined): string {
  return (text ?? '').replace(/[|\r\n]/g, ' ');
}

export function encodeSuppression(s: Omit<Suppression, 'address'>): string {
  return [s.expiresMs, clean(s.reason), s.addedMs, clean(s.queue), clean(s.reply)].join(SEP);
}

export function decodeSuppression(address: string, value: string): Suppression {
  const [exp = '0', reason = '', added = '0', queue = '', ...reply] = value.split(SEP);
  const out: Suppression = { address, reason, addedMs: Number(added), expiresMs: Number(exp) };
  if (queue !== '') out.queue = queue;
  const r = reply.join(SEP);
  if (r !== '') out.reply = r;
  return out;
}

function live(s: Suppression, now: number): boolean {
  return s.expiresMs === 0 || s.expiresMs > now;
}

export class SuppressionStore {
  private readonly keys: Keys;
  constructor(
    private readonly redis: Redis,
    prefix?: string,
  ) {
    this.keys = new Keys(prefix);
  }

  /**
   * The live entry for `address` in the tenant's store, else in the global store (`*`, which applies
   * to every tenant), or undefined: one round trip (one script reads both hashes).
   */
  async lookup(tenant: string, address: string, now = Date.now()): Promise<Suppression | undefined> {
    const key = address.toLowerCase();
    const stores = tenant === GLOBAL_STORE ? [tenant] : [tenant, GLOBAL_STORE];
    const values = await scripts(this.redis).suppressLookup(
      stores.map((t) => this.keys.suppressions(t)),
      key,
    );
    for (const value of values) {
      if (value === undefined) continue;
      const s = decodeSuppression(key, value);
      if (live(s, now)) return s;
    }
    return undefined;
  }

  /** Adds or replaces entries; returns how many were new. */
  async add(tenant: string, inputs: readonly SuppressionInput[], now = Date.now()): Promise<number> {
    let added = 0;
    for (let i = 0; i < inputs.length || i === 0; i += ADD_CHUNK) {
      const entries: SuppressAddEntry[] = inputs.slice(i, i + ADD_CHUNK).map((s) => {
        const expiresMs = s.ttlMs && s.ttlMs > 0 ? now + s.ttlMs : 0;
        const value = encodeSuppression({ reason: s.reason, addedMs: now, expiresMs, ...(s.queue ? { queue: s.queue } : {}), ...(s.reply ? { reply: s.reply } : {}) });
        return { address: s.address.toLowerCase(), value, expiresMs };
      });
      added += await scripts(this.redis).suppressAdd(
        this.keys.suppressions(tenant),
        this.keys.suppressionExpiry(tenant),
        this.keys.suppressionTenants(),
        this.keys.accounting(),
        tenant,
        now,
        entries,
      );
    }
    return added;
  }

  /** Removes addresses; returns how many were there. */
  async remove(tenant: string, addresses: readonly string[]): Promise<number> {
    if (addresses.length === 0) return 0;
    const lower = addresses.map((a) => a.toLowerCase());
    const res = await this.redis
      .multi()
      .hdel(this.keys.suppressions(tenant), ...lower)
      .zrem(this.keys.suppressionExpiry(tenant), ...lower)
      .exec();
    return Number(res?.[0]?.[1] ?? 0);
  }

  /** Every tenant that has (or had) a store. */
  async tenants(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.suppressionTenants())).sort();
  }

  /** Entries in the tenant's hash (expired ones not yet swept included). */
  async count(tenant: string): Promise<number> {
    return this.redis.hlen(this.keys.suppressions(tenant));
  }

  /** The tenant's live entries, in batches (HSCAN: no long block on a big store). */
  async *entries(tenant: string, now = Date.now()): AsyncGenerator<Suppression[]> {
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.keys.suppressions(tenant), cursor, 'COUNT', 1000);
      cursor = next;
      const batch: Suppression[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const s = decodeSuppression(flat[i]!, flat[i + 1]!);
        if (live(s, now)) batch.push(s);
      }
      if (batch.length > 0) yield batch;
    } while (cursor !== '0');
  }
}
