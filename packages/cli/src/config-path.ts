/** Which configuration file a command uses: --config, then $VMTA_CONFIG, then config/vmta.conf. */
export const DEFAULT_CONFIG = 'config/vmta.conf';

export function configPath(explicit: string | undefined): string {
  return explicit ?? process.env.VMTA_CONFIG ?? DEFAULT_CONFIG;
}
