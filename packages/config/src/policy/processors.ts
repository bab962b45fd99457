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

/** A processor's own entries (its lines and those of its nested <address-list>s) and the address-files of those lists. */
export interface ProcessorSource {
  kind: ProcessorKind;
  entries: AddressEntry[];
  domains: string[];
  /** `address-file` values of its nested <address-list>s, as written (the listener reads them). */
  files: string[];
}

/** A processor's addresses compiled (with its files' lines, when the listener read them). */
export interface CompiledProcessor {
  kind: ProcessorKind;
  list: CompiledAddressList;
}

const compiled = new WeakMap<VmtaConfig, readonly CompiledProcessor[]>();

function sourceOf(kind: ProcessorKind, stanza: ProcessorStanza<'feedback-loop-processor' | 'bounce-processor'> | undefined): ProcessorSource[] {
  if (!stanza) return [];
  const entries: AddressEntry[] = [...(stanza.settings.address ?? [])];
  const domains: string[] = [...(stanza.settings.domain ?? [])];
  const files: string[] = [];
  for (const l of stanza.addressLists) {
    entries.push(...(l.settings.address ?? []));
    domains.push(...(l.settings.domain ?? []));
    files.push(...(l.settings['address-file'] ?? []));
  }
  return [{ kind, entries, domains, files }];
}

/** The processors of the configuration, feedback loop first (it wins an address both claim). */
export function processorSources(config: VmtaConfig): ProcessorSource[] {
  return [...sourceOf('fbl', config.feedbackLoopProcessor), ...sourceOf('bounce', config.bounceProcessor)];
}

/**
 * The processor that takes mail for `address`, or undefined for ordinary mail. `lists`: the processors
 * compiled with their address-files' lines (the listener's AddressLists); without it, the lines of
 * the configuration only.
 */
export function processorFor(config: VmtaConfig, address: string, lists?: readonly CompiledProcessor[]): ProcessorKind | undefined {
  let own = lists ?? compiled.get(config);
  if (!own) {
    own = processorSources(config).map((p) => ({ kind: p.kind, list: compileAddressList(p.kind, p.entries, p.domains) }));
    compiled.set(config, own);
  }
  return own.find((l) => addressListMatches(l.list, address))?.kind;
}

/** What the processor made of a message: a report it processed, mail that is not a report, or a report it could not process. */
export type ReportOutcome = 'matched' | 'unmatched' | 'error';

/**
 * Where a message to a processor goes besides being processed (PowerMTA's delivery options of the
 * processor): `deliver-matched-email` / `deliver-unmatched-email` deliver it to its own recipients,
 * `forward-unmatched-to` / `forward-errors-to` forward it to that address. Each address once, in order.
 */
export function reportForwardTo(config: VmtaConfig, kind: ProcessorKind, outcome: ReportOutcome, recipients: readonly string[]): string[] {
  const settings = (kind === 'fbl' ? config.feedbackLoopProcessor : config.bounceProcessor)?.settings;
  if (!settings) return [];
  const out: string[] = [];
  if (outcome === 'matched' && settings['deliver-matched-email'] === true) out.push(...recipients);
  if (outcome === 'unmatched') {
    if (settings['deliver-unmatched-email'] === true) out.push(...recipients);
    if (typeof settings['forward-unmatched-to'] === 'string') out.push(settings['forward-unmatched-to']);
  }
  if (outcome === 'error' && typeof settings['forward-errors-to'] === 'string') out.push(settings['forward-errors-to']);
  const seen = new Set<string>();
  return out.filter((a) => !seen.has(a.toLowerCase()) && seen.add(a.toLowerCase()));
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
