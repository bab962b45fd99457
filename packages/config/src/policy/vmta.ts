/** Virtual MTA and pool lookup, round-robin pool member selection, by-smtp-source-ip. */
import type { VirtualMtaPoolStanza, VirtualMtaStanza, VmtaConfig } from '../model.js';
import { cidrContains } from '../values/index.js';

/** Name of the built-in VMTA that uses the global smtp-source-host and host-name. */
export const DEFAULT_VMTA = '{default}';

/** The special default-virtual-mta value. */
export const BY_SMTP_SOURCE_IP = 'by-smtp-source-ip';

export type VmtaTarget =
  | { kind: 'vmta'; name: string; vmta: VirtualMtaStanza }
  | { kind: 'pool'; name: string; pool: VirtualMtaPoolStanza };

/** What a name (from X-Virtual-MTA or default-virtual-mta) refers to, case-insensitively. */
export function findVmtaOrPool(config: VmtaConfig, name: string): VmtaTarget | undefined {
  const key = name.toLowerCase();
  const vmta = config.vmtas[key];
  if (vmta) return { kind: 'vmta', name: vmta.name, vmta };
  const pool = config.pools[key];
  if (pool) return { kind: 'pool', name: pool.name, pool };
  return undefined;
}

/** Pools a VMTA belongs to, in file order. */
export function poolsOf(config: VmtaConfig, vmtaName: string): VirtualMtaPoolStanza[] {
  const key = vmtaName.toLowerCase();
  return Object.values(config.pools).filter((p) => (p.settings['virtual-mta'] ?? []).some((m) => m.toLowerCase() === key));
}

/** The n-th member of a pool, round robin (pure: the caller keeps the counter). */
export function poolMember(pool: VirtualMtaPoolStanza, n: number): string {
  const members = pool.settings['virtual-mta'] ?? [];
  if (members.length === 0) throw new Error(`pool ${pool.name} has no members`);
  return members[((n % members.length) + members.length) % members.length]!;
}

/** The VMTA whose smtp-source-host holds the local address the client connected to. */
export function vmtaBySourceIp(config: VmtaConfig, localAddress: string): VirtualMtaStanza | undefined {
  return Object.values(config.vmtas).find((v) =>
    (v.settings['smtp-source-host'] ?? []).some((h) => cidrContains(h.cidr, localAddress)),
  );
}

/** Keeps one round-robin counter per pool; `pick` resolves a VMTA or pool name to a VMTA name. */
export class VmtaSelector {
  private readonly counters = new Map<string, number>();
  constructor(private readonly config: VmtaConfig) {}

  pick(name: string): string | undefined {
    const target = findVmtaOrPool(this.config, name);
    if (!target) return undefined;
    if (target.kind === 'vmta') return target.name;
    const key = target.pool.name.toLowerCase();
    const n = this.counters.get(key) ?? 0;
    this.counters.set(key, n + 1);
    const member = poolMember(target.pool, n);
    return this.config.vmtas[member.toLowerCase()]?.name ?? member;
  }
}

/** True when the VMTA's smtp-source-host holds `ip` (a `disable source IP` for every queue concerns its queues). */
export function vmtaUsesSourceIp(config: VmtaConfig, vmtaName: string, ip: string): boolean {
  return (config.vmtas[vmtaName.toLowerCase()]?.settings['smtp-source-host'] ?? []).some((h) => cidrContains(h.cidr, ip));
}
