/**
 * The configuration an operator's change is told with (backoff-notify, disabled-source-ip-notify):
 * --config, $VMTA_CONFIG, the live processes' file or config/vmta.conf (clusterConfigPath). When it cannot be read the change is still made,
 * and stderr says no notice was sent.
 */
import { checkConfigFile, type VmtaConfig } from '@vmta/config';
import { clusterConfigPath } from './config-path.js';

export async function noticeConfig(explicit: string | undefined, command: string): Promise<VmtaConfig | undefined> {
  const file = await clusterConfigPath(explicit);
  let checked;
  try {
    checked = checkConfigFile(file);
  } catch (err) {
    checked = { config: undefined, errors: [{ message: (err as Error).message }] };
  }
  if (checked.config) return checked.config;
  process.stderr.write(`vmta ${command}: no notice is sent (${file}: ${checked.errors[0]?.message ?? 'not readable'})\n`);
  return undefined;
}
