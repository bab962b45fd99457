/**
 * Which virtual MTA sends a message. Precedence: the X-Virtual-MTA header (only when the source has
 * `process-x-virtual-mta`), then the source's <pattern-list> decision (`virtual-mta=` of its first
 * matching rule, see pattern-routing.ts), then the source's `default-virtual-mta` (a VMTA, a pool, or
 * `by-smtp-source-ip`), then the built-in default VMTA. The source policy passed in is the merged one
 * (IP sources, then the listener's named source, then {auth} and the user's source), so its
 * `default-virtual-mta` already is the listener's when the listener names a source.
 */
import {
  BY_SMTP_SOURCE_IP,
  DEFAULT_VMTA,
  findVmtaOrPool,
  vmtaBySourceIp,
  type SourcePolicy,
  type VmtaConfig,
  type VmtaSelector,
} from '@vmta/config';
import { replies, type SmtpReplyError } from './smtp-reply.js';

export type VmtaSelectionVia = 'header' | 'pattern-list' | 'source' | 'by-smtp-source-ip' | 'default';

export interface VmtaSelection {
  /** The VMTA's name as configured, or DEFAULT_VMTA. */
  vmta: string;
  /** The pool's name as configured, when the name given was a pool. */
  pool?: string;
  via: VmtaSelectionVia;
  /** The <pattern-list> rule ("file:line") that chose it, when via is 'pattern-list'. */
  rule?: string;
}

export interface VmtaSelectionInput {
  /** The X-Virtual-MTA header value (unfolded), when the message has one. */
  header?: string;
  source: SourcePolicy;
  /** The local address the client connected to (for by-smtp-source-ip). */
  localAddress: string;
  /** Keeps the round-robin counters of pools. */
  selector: VmtaSelector;
  /** What the source's <pattern-list> decided for this message, when a rule matched. */
  pattern?: { virtualMta?: string; rule: string };
}

/** A VMTA or pool name (case-insensitive) resolved to a VMTA; pools advance their round robin. */
function resolve(config: VmtaConfig, selector: VmtaSelector, name: string): Omit<VmtaSelection, 'via'> | undefined {
  const target = findVmtaOrPool(config, name);
  if (target === undefined) return undefined;
  if (target.kind === 'pool' && (target.pool.settings['virtual-mta'] ?? []).length === 0) return undefined;
  const vmta = selector.pick(name);
  if (vmta === undefined) return undefined;
  return target.kind === 'pool' ? { vmta, pool: target.name } : { vmta };
}

export function selectVirtualMta(config: VmtaConfig, input: VmtaSelectionInput): VmtaSelection | { error: SmtpReplyError } {
  const { source, selector } = input;
  const rejectInvalid = source['reject-invalid-virtual-mta'];

  const header = input.header?.trim();
  if (header && source['process-x-virtual-mta']) {
    const picked = resolve(config, selector, header);
    if (picked) return { ...picked, via: 'header' };
    if (rejectInvalid) return { error: replies.invalidVirtualMta(header) };
  }

  const routed = input.pattern?.virtualMta;
  if (routed) {
    const picked = resolve(config, selector, routed);
    if (picked) return { ...picked, via: 'pattern-list', rule: input.pattern!.rule };
    if (rejectInvalid) return { error: replies.invalidVirtualMta(routed) };
  }

  const name = source['default-virtual-mta']?.trim();
  if (name && name.toLowerCase() === BY_SMTP_SOURCE_IP) {
    const vmta = vmtaBySourceIp(config, input.localAddress);
    if (vmta) return { vmta: vmta.name, via: 'by-smtp-source-ip' };
  } else if (name) {
    const picked = resolve(config, selector, name);
    if (picked) return { ...picked, via: 'source' };
    if (rejectInvalid) return { error: replies.invalidVirtualMta(name) };
  }
  return { vmta: DEFAULT_VMTA, via: 'default' };
}
