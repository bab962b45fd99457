/**
 * What `vmta check --dns` looks at, read from the configuration (pure but for `readKey`):
 * - every source address of every VMTA (`{default}` = the global smtp-source-host lines) with the
 *   EHLO name it uses (the VMTA's host-name when set, as select-source.ts does); a range of up to
 *   16 addresses is checked address by address, a larger range and 0/0 (the OS chooses) are skipped;
 * - every domain-key (one row per selector, domain and file), with the public key of its file;
 *   a `*` key signs for any sender domain and is skipped;
 * - every signing domain (the domain of a key) with the VMTAs that sign for it (a VMTA's own keys,
 *   its pools' and the global ones, as domainKeysFor gives them) and their source addresses.
 */
import { DEFAULT_VMTA, domainKeysFor, poolsOf, type CidrValue, type SourceHost, type VmtaConfig } from '@vmta/config';
import { ipv6Groups } from '../dns/resolver.js';

export const MAX_RANGE_ADDRESSES = 16;

export interface SourceTarget {
  vmta: string;
  ip: string;
  /** The EHLO name this address is used with: its PTR must name it. */
  hostName: string;
}

export interface KeyTarget {
  selector: string;
  domain: string;
  keyFile: string;
  /** file:line of the domain-key directive. */
  where: string;
  /** The key as its TXT record must publish it, or why the file could not be read. */
  key: { kind: 'rsa' | 'ed25519'; publicKey: string } | { error: string };
}

export interface DomainTarget {
  domain: string;
  /** VMTAs that sign for the domain, in config order. */
  vmtas: string[];
  /** Their source addresses (the ones checked for PTR), each once. */
  ips: string[];
}

export interface SkippedTarget {
  check: 'ptr' | 'dkim' | 'spf';
  subject: string;
  reason: string;
}

export interface DnsCheckTargets {
  sources: SourceTarget[];
  keys: KeyTarget[];
  domains: DomainTarget[];
  skipped: SkippedTarget[];
}

export type ReadPublicKey = (file: string) => { kind: 'rsa' | 'ed25519'; publicKey: string };

/** The addresses of a source line: itself, every address of a small range, or undefined for 0/0 and large ranges. */
export function rangeAddresses(cidr: CidrValue): string[] | undefined {
  if (cidr.any) return undefined;
  const bits = (cidr.family === 4 ? 32 : 128) - cidr.prefix;
  if (2 ** bits > MAX_RANGE_ADDRESSES) return undefined;
  const count = 2 ** bits;
  if (count === 1) return [cidr.address];
  if (cidr.family === 4) {
    const base = cidr.address.split('.').reduce((n, o) => n * 256 + Number(o), 0);
    return Array.from({ length: count }, (_, i) => {
      const n = base + i;
      return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
    });
  }
  const groups = ipv6Groups(cidr.address);
  const last = parseInt(groups[7]!, 16);
  return Array.from({ length: count }, (_, i) => [...groups.slice(0, 7), (last + i).toString(16)].map((g) => g.replace(/^0+(?=.)/, '')).join(':'));
}

function sourcesOf(config: VmtaConfig, vmta: string, skipped: SkippedTarget[]): SourceTarget[] {
  const v = vmta === DEFAULT_VMTA ? undefined : config.vmtas[vmta.toLowerCase()];
  const hosts: SourceHost[] = (v ? v.settings['smtp-source-host'] : config.global.settings['smtp-source-host']) ?? [];
  const override = v?.settings['host-name'] ?? undefined;
  const out: SourceTarget[] = [];
  for (const h of hosts) {
    const hostName = (override ?? h.hostName).toLowerCase();
    const ips = rangeAddresses(h.cidr);
    if (ips === undefined) {
      const reason = h.cidr.any ? 'the OS chooses the address' : `a range of more than ${MAX_RANGE_ADDRESSES} addresses`;
      skipped.push({ check: 'ptr', subject: `${h.cidr.text} (${vmta})`, reason });
      continue;
    }
    for (const ip of ips) out.push({ vmta, ip, hostName });
  }
  return out;
}

export function dnsCheckTargets(config: VmtaConfig, readKey: ReadPublicKey): DnsCheckTargets {
  const skipped: SkippedTarget[] = [];
  const vmtaNames = [DEFAULT_VMTA, ...Object.values(config.vmtas).map((v) => v.name)];
  const sourcesByVmta = new Map(vmtaNames.map((name) => [name, sourcesOf(config, name, skipped)]));
  const sources = [...sourcesByVmta.values()].flat();

  const keys: KeyTarget[] = [];
  const seenKeys = new Set<string>();
  const domains = new Map<string, DomainTarget>();
  for (const vmta of vmtaNames) {
    const pools = vmta === DEFAULT_VMTA ? [] : poolsOf(config, vmta).map((p) => p.name);
    const scoped = [domainKeysFor(config, vmta), ...pools.map((p) => domainKeysFor(config, vmta, p))].flat();
    for (const k of scoped) {
      const id = `${k.selector} ${k.domain} ${k.keyFile}`;
      if (!seenKeys.has(id)) {
        seenKeys.add(id);
        if (k.domain === '*') {
          skipped.push({ check: 'dkim', subject: `${k.selector}._domainkey.*`, reason: 'a * key signs for any sender domain: no fixed name to look up' });
          continue;
        }
        let key: KeyTarget['key'];
        try {
          key = readKey(k.keyFile);
        } catch (err) {
          key = { error: (err as Error).message };
        }
        keys.push({ selector: k.selector, domain: k.domain, keyFile: k.keyFile, where: `${k.origin.file}:${k.origin.line}`, key });
      }
      if (k.domain === '*') continue;
      const d = domains.get(k.domain) ?? { domain: k.domain, vmtas: [], ips: [] };
      domains.set(k.domain, d);
      if (!d.vmtas.includes(vmta)) d.vmtas.push(vmta);
      for (const s of sourcesByVmta.get(vmta) ?? []) if (!d.ips.includes(s.ip)) d.ips.push(s.ip);
    }
  }
  return { sources, keys, domains: [...domains.values()], skipped };
}
