/**
 * `vmta suppress add|remove|show|export|import`: the operator's view of the suppression store. A tenant
 * is written as the listener computes it (`user:NAME`, `source:NAME`) or `*`, the global store that
 * applies to every tenant (the default). Manual entries have the reason `manual` unless one is given.
 */
import { GLOBAL_STORE, SuppressionStore, type Suppression } from '@vmta/queue';
import type { Cluster } from '../cluster.js';

export interface SuppressAddOptions {
  reason?: string;
  /** Lifetime in ms; 0 or absent: never expires. */
  ttlMs?: number;
}

export interface SuppressChange {
  tenant: string;
  /** Addresses given (after dropping blanks and duplicates). */
  requested: number;
  /** Entries that were new (add) or were there (remove). */
  changed: number;
}

export interface SuppressTenantCount {
  tenant: string;
  entries: number;
}

export interface SuppressShow {
  tenant: string;
  /** Live entries, at most `limit`, sorted by address. */
  entries: Suppression[];
  /** True when there were more than `limit`. */
  truncated: boolean;
}

function storeOf(cluster: Cluster): SuppressionStore {
  return new SuppressionStore(cluster.redis, cluster.keys.prefix);
}

export async function suppressAdd(cluster: Cluster, tenant: string | undefined, addresses: readonly string[], options: SuppressAddOptions = {}): Promise<SuppressChange> {
  const t = tenant ?? GLOBAL_STORE;
  const unique = [...new Set(addresses.map((a) => a.toLowerCase()))];
  const reason = options.reason ?? 'manual';
  const changed = unique.length === 0 ? 0 : await storeOf(cluster).add(t, unique.map((address) => ({ address, reason, ...(options.ttlMs ? { ttlMs: options.ttlMs } : {}) })));
  return { tenant: t, requested: unique.length, changed };
}

export async function suppressRemove(cluster: Cluster, tenant: string | undefined, addresses: readonly string[]): Promise<SuppressChange> {
  const t = tenant ?? GLOBAL_STORE;
  const unique = [...new Set(addresses.map((a) => a.toLowerCase()))];
  return { tenant: t, requested: unique.length, changed: await storeOf(cluster).remove(t, unique) };
}

/** Every tenant's store and its size (entries not yet swept after expiry included). */
export async function suppressCounts(cluster: Cluster): Promise<SuppressTenantCount[]> {
  const store = storeOf(cluster);
  const tenants = await store.tenants();
  return Promise.all(tenants.map(async (tenant) => ({ tenant, entries: await store.count(tenant) })));
}

export async function suppressShow(cluster: Cluster, tenant: string | undefined, limit = 100): Promise<SuppressShow> {
  const t = tenant ?? GLOBAL_STORE;
  const entries: Suppression[] = [];
  let truncated = false;
  for await (const batch of storeOf(cluster).entries(t)) {
    entries.push(...batch);
    if (entries.length > limit) {
      truncated = true;
      break;
    }
  }
  entries.sort((a, b) => a.address.localeCompare(b.address));
  return { tenant: t, entries: entries.slice(0, limit), truncated };
}

export const SUPPRESS_CSV_HEADER = 'address,reason,added,expires,queue,reply';

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line of an entry (times in ISO 8601, expires empty for never). */
export function suppressionCsv(s: Suppression): string {
  return [s.address, s.reason, new Date(s.addedMs).toISOString(), s.expiresMs ? new Date(s.expiresMs).toISOString() : '', s.queue ?? '', s.reply ?? '']
    .map(csvField)
    .join(',');
}

/** Streams the tenant's live entries as CSV lines (header first) to `write`; returns how many. */
export async function suppressExport(cluster: Cluster, tenant: string | undefined, write: (chunk: string) => void | Promise<void>): Promise<number> {
  let n = 0;
  await write(`${SUPPRESS_CSV_HEADER}\n`);
  for await (const batch of storeOf(cluster).entries(tenant ?? GLOBAL_STORE)) {
    await write(batch.map((s) => `${suppressionCsv(s)}\n`).join(''));
    n += batch.length;
  }
  return n;
}
