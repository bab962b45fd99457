/**
 * Stage "pick VMTA/source": which local address and EHLO name a delivery leaves from. Pure over
 * config data, except `localSourceAddresses()` which reads the host's interfaces.
 *
 * - A VMTA's `smtp-source-host` list (the global one for `{default}`) is used round robin, spread
 *   by a stable hash of the recipient address: a retry of the same recipient leaves from the same
 *   IP, so greylisting (which keys on client IP, sender, recipient) lets it through.
 * - EHLO name: the VMTA's `host-name` when set, else the name of the chosen smtp-source-host line.
 *   For `{default}` the source line's name wins and the global `host-name` (the listener greeting
 *   name) is only the fallback when there is no smtp-source-host at all.
 * - Disabled source IPs (disable-source-ip, `vmta disable source`) are left out; the recipients they
 *   had spread over the others, and come back to them once the IP is enabled again.
 * - `0/0` as source = let the OS choose the address (no bind). A range like 10.0.0.0/24 cannot be
 *   bound for outbound connections and is skipped (it still maps inbound addresses to the VMTA).
 */
import os from 'node:os';
import net from 'node:net';
import { DEFAULT_VMTA, type SourceHost, type VmtaConfig } from '@vmta/config';
import { SmtpClientError } from '../smtp-client/errors.js';

export interface OutboundSource {
  /** Local address to bind; absent = the OS chooses (0/0 or no smtp-source-host). */
  ip?: string;
  /** EHLO name. */
  hostName: string;
}

export interface VmtaSources {
  vmta: string;
  /** Bindable sources, in config order. */
  sources: OutboundSource[];
  /** smtp-source-host lines that cannot be bound (ranges), as written. */
  skipped: string[];
}

const isSingleAddress = (h: SourceHost): boolean => !h.cidr.any && h.cidr.prefix === (h.cidr.family === 4 ? 32 : 128);

/** The outbound sources of a VMTA (`{default}` = the global ones). Throws SOURCE_UNKNOWN_VMTA. */
export function vmtaSources(config: VmtaConfig, vmtaName: string, fallbackHostName: string = os.hostname()): VmtaSources {
  const isDefault = vmtaName.toLowerCase() === DEFAULT_VMTA;
  const vmta = isDefault ? undefined : config.vmtas[vmtaName.toLowerCase()];
  if (!isDefault && vmta === undefined) throw new SmtpClientError('SOURCE_UNKNOWN_VMTA', `unknown virtual-mta "${vmtaName}"`);
  const hosts = (vmta ? vmta.settings['smtp-source-host'] : config.global.settings['smtp-source-host']) ?? [];
  const override = vmta ? (vmta.settings['host-name'] ?? undefined) : undefined;
  const globalName = config.global.settings['host-name'] ?? fallbackHostName;
  const name = vmta?.name ?? DEFAULT_VMTA;
  if (hosts.length === 0) return { vmta: name, sources: [{ hostName: override ?? globalName }], skipped: [] };
  const sources: OutboundSource[] = [];
  const skipped: string[] = [];
  for (const h of hosts) {
    const hostName = override ?? h.hostName;
    if (h.cidr.any) sources.push({ hostName });
    else if (isSingleAddress(h)) sources.push({ ip: h.cidr.address, hostName });
    else skipped.push(`${h.cidr.text} ${h.hostName}`);
  }
  return { vmta: name, sources, skipped };
}

/** FNV-1a, 32 bit: stable across processes and releases (unlike a seeded hash). */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export interface SelectSourceOptions {
  /** Only sources with these addresses (plus 127.x and 0/0) are used: see `localSourceAddresses()`. */
  localIps?: ReadonlySet<string>;
  /** EHLO name when nothing in the config gives one. Default os.hostname(). */
  fallbackHostName?: string;
  /** Source IPs taken out of use for the queue (disable-source-ip): the others share the mail. */
  disabled?: ReadonlySet<string>;
}

/** A VMTA's sources and the local ones among them, for one local address set. */
interface LocalSources {
  all: OutboundSource[];
  skipped: string[];
  sources: OutboundSource[];
  localIps: ReadonlySet<string> | undefined;
}

/** Per config object (a reload brings a new one), VMTA and fallback name: selectSource runs once per message. */
const sourcesOfConfig = new WeakMap<VmtaConfig, Map<string, LocalSources>>();

/**
 * vmtaSources and the local filter, kept per config: each message asked for them again, with a
 * host-name system call (the fallback name) and a pass over the lines. A changed host name is seen
 * at the next reload.
 */
function localSources(config: VmtaConfig, vmtaName: string, options: SelectSourceOptions): LocalSources {
  let byVmta = sourcesOfConfig.get(config);
  if (!byVmta) {
    byVmta = new Map();
    sourcesOfConfig.set(config, byVmta);
  }
  const key = `${vmtaName.toLowerCase()}\n${options.fallbackHostName ?? ''}`;
  const { localIps } = options;
  const kept = byVmta.get(key);
  if (kept && kept.localIps === localIps) return kept;
  const { sources: all, skipped } = vmtaSources(config, vmtaName, options.fallbackHostName);
  const sources = localIps === undefined ? all : all.filter((s) => s.ip === undefined || isLocalAddress(s.ip, localIps));
  const made = { all, skipped, sources, localIps };
  byVmta.set(key, made);
  return made;
}

/** The source for one recipient of a VMTA: the same one on every retry. Throws SOURCE_NONE / SOURCE_UNKNOWN_VMTA. */
export function selectSource(config: VmtaConfig, vmtaName: string, recipient: string, options: SelectSourceOptions = {}): OutboundSource {
  const { all, skipped, sources } = localSources(config, vmtaName, options);
  if (sources.length === 0) {
    const why = all.length > 0 ? `none of ${all.map((s) => s.ip).join(', ')} is local` : `only ranges: ${skipped.join(', ')}`;
    throw new SmtpClientError('SOURCE_NONE', `virtual-mta "${vmtaName}" has no bindable smtp-source-host (${why})`);
  }
  const { disabled } = options;
  const usable = disabled === undefined || disabled.size === 0 ? sources : sources.filter((s) => s.ip === undefined || !disabled.has(s.ip));
  if (usable.length === 0) throw new SmtpClientError('SOURCE_DISABLED', `every source IP of virtual-mta "${vmtaName}" is disabled (${sources.map((s) => s.ip).join(', ')})`);
  return usable[stableHash(recipient.toLowerCase()) % usable.length]!;
}

/** Whether `ip` is an address of this host: listed on an interface, or any 127.x (all of 127/8 is local on Linux). */
export function isLocalAddress(ip: string, localIps: ReadonlySet<string>): boolean {
  const plain = ip.toLowerCase().replace(/^::ffff:(?=\d+\.)/, '');
  // A host with loopback (127.0.0.1 on lo) can bind all of 127.0.0.0/8 (Linux routes the whole /8 to lo).
  if (net.isIPv4(plain) && plain.startsWith('127.') && localIps.has('127.0.0.1')) return true;
  return localIps.has(plain);
}

/** Addresses on the host's interfaces (lower case, IPv6 without zone). */
export function localSourceAddresses(interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces()): Set<string> {
  const out = new Set<string>();
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) out.add(info.address.toLowerCase().replace(/%.*$/, ''));
  }
  return out;
}

export interface VmtaServability {
  /** VMTAs with at least one bindable local source (only their local sources listed). */
  servable: { vmta: string; sources: OutboundSource[] }[];
  /** VMTAs this host cannot deliver for, and why (for one start-up log line). */
  skipped: { vmta: string; reason: string }[];
  /** Sources of servable VMTAs that are not local and will not be used. */
  unusableSources: { vmta: string; source: string; reason: string }[];
}

/** Which VMTAs (and `{default}`) this host can deliver for, given its local addresses. */
export function servableVmtas(config: VmtaConfig, localIps: ReadonlySet<string>, fallbackHostName?: string): VmtaServability {
  const result: VmtaServability = { servable: [], skipped: [], unusableSources: [] };
  const names = [DEFAULT_VMTA, ...Object.values(config.vmtas).map((v) => v.name)];
  for (const name of names) {
    const { vmta, sources, skipped } = vmtaSources(config, name, fallbackHostName);
    for (const s of skipped) result.unusableSources.push({ vmta, source: s, reason: 'a range cannot be bound as source' });
    const local = sources.filter((s) => s.ip === undefined || isLocalAddress(s.ip, localIps));
    for (const s of sources) {
      if (!local.includes(s)) result.unusableSources.push({ vmta, source: s.ip ?? '0/0', reason: 'not an address of this host' });
    }
    if (local.length > 0) result.servable.push({ vmta, sources: local });
    else if (sources.length === 0) result.skipped.push({ vmta, reason: `no bindable smtp-source-host (${skipped.join(', ')})` });
    else result.skipped.push({ vmta, reason: `no smtp-source-host on a local interface (${sources.map((s) => s.ip).join(', ')})` });
  }
  return result;
}
