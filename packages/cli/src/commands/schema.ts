/** `vmta schema`: the configuration JSON Schema, the source of every directive's name, type and default. */
import { configSchema } from '@vmta/config';
import { EXIT } from '../exit-codes.js';

export async function schemaCommand(): Promise<number> {
  process.stdout.write(`${JSON.stringify(configSchema, null, 2)}\n`);
  return EXIT.ok;
}
