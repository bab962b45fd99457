/** Who our own notices (DSNs, backoff-notify, disabled-source-ip-notify) come from. Pure. */
import type { VmtaConfig } from '../model.js';

/** `host-name` (else the machine's name, given by the caller) and `postmaster` (else postmaster@ that host). */
export function noticeSender(config: VmtaConfig, machineHostName: string): { hostName: string; postmaster: string } {
  const hostName = config.global.settings['host-name'] ?? machineHostName;
  return { hostName, postmaster: config.global.settings.postmaster ?? `postmaster@${hostName}` };
}
