/**
 * Delivery policy of a queue (recipient domain, VMTA). Lookup order: <domain>
 * inside the VMTA, then inside each pool the VMTA belongs to, then top-level
 * <domain>, then defaults; at each level the matching patterns merge from
 * general to specific.
 */
import type { DomainStanza, VmtaConfig } from '../model.js';
import { domainMatches, domainSpecificity } from '../values/index.js';
import { mergeLayers, type Resolved } from './merge.js';
import { poolsOf } from './vmta.js';

export type DomainPolicy = Resolved<'domain'>['settings'];
export type ResolvedDomainPolicy = Resolved<'domain'>;

/**
 * Matching stanzas of one level, general first. Of two equally specific patterns, one a domain macro
 * gave (`<domain aol.$com>`) comes before one written out (`<domain aol.com>`), so the written one
 * wins whatever the file order (PowerMTA §3.3.10: "specifically listed domains always take precedence
 * over expanded ones").
 */
export function matchingDomainStanzas(stanzas: readonly DomainStanza[], domain: string): DomainStanza[] {
  const written = (s: DomainStanza): number => (s.macro === undefined ? 1 : 0);
  return stanzas
    .filter((s) => domainMatches(s.pattern, domain))
    .sort((a, b) => domainSpecificity(a.pattern) - domainSpecificity(b.pattern) || written(a) - written(b));
}

/** Queues remembered per config; past this the memo starts over (one domain per message stays bounded). */
const REMEMBERED = 10_000;
const memo = new WeakMap<VmtaConfig, Map<string, ResolvedDomainPolicy>>();
/**
 * Merged layers per config, by which stanzas matched: most domains match the same few stanzas
 * (often only `<domain *>`), so a fresh domain reuses their merge instead of merging again (on
 * the one-message-per-domain load that merge was 1–2 % of listener and delivery CPU).
 */
const merged = new WeakMap<VmtaConfig, Map<string, ResolvedDomainPolicy>>();
const stanzaIds = new WeakMap<DomainStanza, number>();
let nextStanzaId = 0;

function stanzaId(stanza: DomainStanza): number {
  let id = stanzaIds.get(stanza);
  if (id === undefined) {
    id = nextStanzaId++;
    stanzaIds.set(stanza, id);
  }
  return id;
}

/**
 * The policy of a queue, computed once per config object (a reload is a new object, so its answers
 * are new too): every token run, sweep and rollup move asks, and resolving the layers each time
 * cost delivery CPU on every one-message domain. The answer is shared: callers must not change it.
 */
export function domainPolicy(config: VmtaConfig, domain: string, vmtaName?: string): ResolvedDomainPolicy {
  let known = memo.get(config);
  if (!known || known.size >= REMEMBERED) {
    known = new Map();
    memo.set(config, known);
  }
  const key = vmtaName === undefined ? domain : `${domain}\u0000${vmtaName}`;
  let policy = known.get(key);
  if (!policy) {
    policy = resolveDomainPolicy(config, domain, vmtaName);
    known.set(key, policy);
  }
  return policy;
}

function resolveDomainPolicy(config: VmtaConfig, domain: string, vmtaName?: string): ResolvedDomainPolicy {
  const layers = [...matchingDomainStanzas(config.domains, domain)];
  const vmta = vmtaName === undefined ? undefined : config.vmtas[vmtaName.toLowerCase()];
  if (vmta) {
    for (const pool of poolsOf(config, vmta.name)) layers.push(...matchingDomainStanzas(pool.domains, domain));
    layers.push(...matchingDomainStanzas(vmta.domains, domain));
  }
  const resolved = mergedLayers(config, layers);
  return resolved.settings['smtp-hosts'] === undefined ? withRollupHosts(config, domain, resolved) : resolved;
}

/** The merge of these layers, shared by every domain of the config that matched the same stanzas. */
function mergedLayers(config: VmtaConfig, layers: DomainStanza[]): ResolvedDomainPolicy {
  let known = merged.get(config);
  if (!known || known.size >= REMEMBERED) {
    known = new Map();
    merged.set(config, known);
  }
  const key = layers.map(stanzaId).join(',');
  let resolved = known.get(key);
  if (!resolved) {
    resolved = mergeLayers('domain', layers);
    known.set(key, resolved);
  }
  return resolved;
}

/**
 * A rolled-up queue (NAME.rollup, an <mx-rollup-list> name) without smtp-hosts connects to the
 * exact MX hosts its entries list, one preference level (PowerMTA 10.17): NAME.rollup has no MX.
 */
function withRollupHosts(config: VmtaConfig, domain: string, resolved: ResolvedDomainPolicy): ResolvedDomainPolicy {
  const lower = domain.toLowerCase();
  const entries = config.mxRollupLists.flatMap((s) =>
    (s.settings.mx ?? []).filter((e) => e.byIp !== true).map((e) => ({ e, origin: s.origins.mx?.[0] ?? s.origin })),
  );
  const exact = entries.filter(({ e }) => e.name === lower && !e.wildcard);
  if (exact.length === 0) return resolved;
  const hosts = [exact.map(({ e }) => ({ kind: 'host' as const, host: e.host }))];
  return { ...resolved, settings: { ...resolved.settings, 'smtp-hosts': hosts }, origins: { ...resolved.origins, 'smtp-hosts': exact[0]!.origin } };
}
