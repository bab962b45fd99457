/** `vmta check FILE`: syntax and references, not host state. */
import { parseArgs } from 'node:util';
import { checkConfigFile, formatDiagnostic, summarize } from '@vmta/config';
import { configPath } from '../config-path.js';
import { EXIT } from '../exit-codes.js';

export async function checkCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, allowPositionals: true });
  } catch (err) {
    process.stderr.write(`vmta check: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  if (parsed.positionals.length > 1 || (parsed.positionals.length === 1 && parsed.values.config)) {
    process.stderr.write('vmta check: give one file, either as an argument or with --config\n');
    return EXIT.usage;
  }
  const file = parsed.positionals[0] ?? configPath(parsed.values.config);
  const result = checkConfigFile(file);
  if (!result.config) {
    for (const d of [...result.errors, ...result.warnings]) process.stdout.write(`${formatDiagnostic(d)}\n`);
    process.stdout.write(`${file}: ${result.errors.length} error${result.errors.length === 1 ? '' : 's'}\n`);
    return EXIT.configInvalid;
  }
  process.stdout.write(`${summarize(result.config)}\n`);
  return EXIT.ok;
}
