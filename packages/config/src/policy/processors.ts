/**
 * The addresses of <feedback-loop-processor> and <bounce-processor>, pure: which processor, if any, takes
 * mail for a recipient. Entries are the processor's own `address`/`domain` lines and those of its nested
 * <address-list>s (the same matching as suppression lists). An address both processors claim goes to the
 * feedback loop processor.
 */
import type { ProcessorStanza, VmtaConfig } from '../model.js';
import type { AddressEntry } from '../values/index.js';
import { addressListMatches, compileAddressList, GLOBAL_TENANT, suppressionTenant, type CompiledAddressList } from './suppression.js';

export type ProcessorKind = 'fbl' | 'bounce';

const compiled = new WeakMap<VmtaConfig, { kind: ProcessorKind; list: CompiledAddressList }[]>();

function compile(kind: ProcessorKind, stanza: ProcessorStanza<'feedback-loop-processor' | 'bounce-processor'> | undefined) {
  if (!stanza) return [];
  const entries: AddressEntry[] = [...(stanza.settings.address ?? [])];
  const domains: string[] = [...(stanza.settings.domain ?? [])];
  for (const l of stanza.addressLists) {
    entries.push(...(l.settings.address ?? []));
    domains.push(...(l.settings.domain ?? []));
  }
  return [{ kind, list: compileAddressList(kind, entries, domains) }];
}

/** The processor that takes mail for `address`, or undefined for ordinary mail. */
export function processorFor(config: VmtaConfig, address: string): ProcessorKind | undefined {
  let lists = compiled.get(config);
  if (!lists) {
    lists = [...compile('fbl', config.feedbackLoopProcessor), ...compile('bounce', config.bounceProcessor)];
    compiled.set(config, lists);
  }
  return lists.find((l) => addressListMatches(l.list, address))?.kind;
}

/** Whether a complaint suppresses its recipient (`suppress-complaints`, default yes). */
export function complaintsSuppress(config: VmtaConfig): boolean {
  return config.feedbackLoopProcessor?.settings['suppress-complaints'] !== false;
}

/**
 * Whose suppression store a complaint or remote bounce goes to, from what the original message tells:
 * the AUTH user our Received header names. One global store (`suppression-tenant global`), or when the
 * original does not say (no headers came back, the user was hidden, or the tenant is a listener's
 * source, which the original does not name): the global store `*`, which applies to every tenant.
 */
export function reportTenant(config: VmtaConfig, authUser: string | undefined): string {
  const mode = config.global.settings['suppression-tenant'] ?? 'smtp-user';
  if (mode === 'global' || authUser === undefined) return GLOBAL_TENANT;
  return suppressionTenant(config, { authUser });
}

/** The `header_NAME` columns the acct-files ask for in records of `type` (f, rb, rs): the header names. */
export function recordHeaderNames(config: VmtaConfig, type: 'f' | 'rb' | 'rs'): string[] {
  const names = new Set<string>();
  for (const file of config.acctFiles) {
    for (const rf of file.settings['record-fields'] ?? []) {
      if (rf.type !== type) continue;
      for (const f of rf.fields) if (/^header_/i.test(f)) names.add(f.slice('header_'.length));
    }
  }
  return [...names];
}
