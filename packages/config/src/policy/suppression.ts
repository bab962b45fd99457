/**
 * Suppression policy, pure: matching a recipient against `<address-list>` entries (PowerMTA guide §10.16:
 * `address` local parts, addresses and /regex/, `domain`, and the lines of `address-file`s, which the
 * caller reads), the lists a source names, and whose suppression store (tenant) a message uses.
 */
import type { ListenerConfig, VmtaConfig } from '../model.js';
import { toRegExp, type AddressEntry, type ReasonInterval } from '../values/index.js';

/** One list compiled for lookups: sets for exact entries, the patterns tried in order. */
export interface CompiledAddressList {
  name: string;
  addresses: Set<string>;
  locals: Set<string>;
  domains: Set<string>;
  patterns: RegExp[];
}

export function compileAddressList(name: string, entries: readonly AddressEntry[], domains: readonly string[]): CompiledAddressList {
  const list: CompiledAddressList = { name, addresses: new Set(), locals: new Set(), domains: new Set(), patterns: [] };
  for (const d of domains) list.domains.add(d.toLowerCase());
  for (const e of entries) {
    if (e.kind === 'address') list.addresses.add(e.address.toLowerCase());
    else if (e.kind === 'local') list.locals.add(e.local.toLowerCase());
    else list.patterns.push(toRegExp(e.regex));
  }
  return list;
}

/** Does `list` hold `address` (any case)? */
export function addressListMatches(list: CompiledAddressList, address: string): boolean {
  const lower = address.toLowerCase();
  if (list.addresses.has(lower)) return true;
  const at = lower.lastIndexOf('@');
  const local = at < 0 ? lower : lower.slice(0, at);
  const domain = at < 0 ? '' : lower.slice(at + 1);
  if (list.locals.has(local) || list.domains.has(domain)) return true;
  return list.patterns.some((re) => re.test(address));
}

/** The name of the first of `lists` that holds `address`, or undefined. */
export function suppressingList(lists: readonly CompiledAddressList[], address: string): string | undefined {
  return lists.find((l) => addressListMatches(l, address))?.name;
}

/** What identifies a message's sender for the suppression store. */
export interface TenantInput {
  authUser?: string | undefined;
  /** The listener's config name ("127.0.0.1:2525"), to find its named source. */
  listener?: string | undefined;
}

export const GLOBAL_TENANT = '*';
const DEFAULT_SOURCE_TENANT = 'source:default';

function sourceName(config: VmtaConfig, input: TenantInput): string | undefined {
  const userSource = input.authUser !== undefined ? config.users[input.authUser]?.settings.source : undefined;
  if (userSource) return userSource;
  const listener: ListenerConfig | undefined = input.listener ? config.listeners.find((l) => l.name === input.listener) : undefined;
  return listener?.source ?? undefined;
}

/**
 * The tenant whose suppression store applies (`suppression-tenant`): `user:NAME` for the smtp-user,
 * `source:NAME` for the named source (the user's, else the listener's), `*` for one global store.
 */
export function suppressionTenant(config: VmtaConfig, input: TenantInput): string {
  const mode = config.global.settings['suppression-tenant'] ?? 'smtp-user';
  if (mode === 'global') return GLOBAL_TENANT;
  if (mode === 'smtp-user' && input.authUser !== undefined) return `user:${input.authUser}`;
  const source = sourceName(config, input);
  return source ? `source:${source.toLowerCase()}` : DEFAULT_SOURCE_TENANT;
}

/** Whether a hard bounce of `category` suppresses the recipient automatically. */
export function autoSuppresses(config: VmtaConfig, category: string | undefined): boolean {
  const g = config.global.settings;
  if (g['auto-suppress'] === false || category === undefined) return false;
  const categories: readonly string[] = g['auto-suppress-categories'] ?? ['bad-mailbox', 'bad-domain'];
  return categories.includes(category);
}

/** How long a suppression for `reason` lasts (ms), 0 = never (`auto-suppress-expire`). */
export function suppressionTtlMs(config: VmtaConfig, reason: string): number {
  const list: ReasonInterval[] = config.global.settings['auto-suppress-expire'] ?? [];
  return list.filter((r) => r.reason === reason).at(-1)?.ms ?? 0;
}
