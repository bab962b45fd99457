/** `vmta version` (PowerMTA: `pmta version`), also `vmta --version`: the version of this installation. */
import { EXIT } from '../exit-codes.js';
import { cliVersion } from '../process-registration.js';

export async function versionCommand(args: string[]): Promise<number> {
  if (args.length > 0) {
    process.stderr.write(`vmta version: takes no arguments\nusage: vmta version\n`);
    return EXIT.usage;
  }
  process.stdout.write(`vmta ${cliVersion() ?? 'unknown'} (node ${process.versions.node})\n`);
  return EXIT.ok;
}
