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

/** Matching stanzas of one level, general first. */
export function matchingDomainStanzas(stanzas: readonly DomainStanza[], domain: string): DomainStanza[] {
  return stanzas
    .filter((s) => domainMatches(s.pattern, domain))
    .sort((a, b) => domainSpecificity(a.pattern) - domainSpecificity(b.pattern));
}

export function domainPolicy(config: VmtaConfig, domain: string, vmtaName?: string): ResolvedDomainPolicy {
  const layers = [...matchingDomainStanzas(config.domains, domain)];
  const vmta = vmtaName === undefined ? undefined : config.vmtas[vmtaName.toLowerCase()];
  if (vmta) {
    for (const pool of poolsOf(config, vmta.name)) layers.push(...matchingDomainStanzas(pool.domains, domain));
    layers.push(...matchingDomainStanzas(vmta.domains, domain));
  }
  return mergeLayers('domain', layers);
}
