/** `vmta schema`: the configuration JSON Schema, the source of every directive's name, type and default. */
import { configSchema } from '@vmta/config';
import { EXIT } from '../exit-codes.js';

export async function schemaCommand(args: string[]): Promise<number> {
  if (args.length > 0) {
    process.stderr.write(`vmta schema: takes no arguments (got ${args.join(' ')})\nusage: vmta schema\n`);
    return EXIT.usage;
  }
  process.stdout.write(`${JSON.stringify(configSchema, null, 2)}\n`);
  return EXIT.ok;
}
