/**
 * Stage "IP warm-up" (PowerMTA max-cold-virtual-mta-msg, a <domain> directive): when VirtualMTA
 * `foo` is selected for a domain and a VirtualMTA `foo-cold` exists, the first N messages of the
 * day for that domain go out from `foo-cold` (its new, cold source IPs); the rest from `foo`.
 * Pure: which cold VMTA and which daily limit apply. The count itself is kept in Redis per queue
 * and UTC day (a RateCounter window), shared by every delivery process.
 */
import type { DomainPolicy, VmtaConfig } from '@vmta/config';

export interface ColdVmta {
  /** The cold VMTA's name as configured. */
  name: string;
  /** Messages a day (the window is the rate's period, a day for N/d). */
  limit: { count: number; perMs: number };
}

export const COLD_SUFFIX = '-cold';

/** The cold VMTA of `vmta` for a queue with this policy, or undefined (no limit, 0, or no `<vmta>-cold`). */
export function coldVmtaOf(config: VmtaConfig, vmta: string, policy: Pick<DomainPolicy, 'max-cold-virtual-mta-msg'>): ColdVmta | undefined {
  const limit = policy['max-cold-virtual-mta-msg'];
  if (limit === undefined || limit === 'unlimited' || limit.count <= 0) return undefined;
  if (vmta.toLowerCase().endsWith(COLD_SUFFIX)) return undefined;
  const cold = config.vmtas[`${vmta}${COLD_SUFFIX}`.toLowerCase()];
  return cold === undefined ? undefined : { name: cold.name, limit };
}
