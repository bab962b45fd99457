// Module hooks of register.mjs (they run on node's loader thread).
import { appendFileSync } from 'node:fs';

const file = process.env.VMTA_TEST_MODULE_LOG;

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (file) appendFileSync(file, `${resolved.url}\n`);
  return resolved;
}
