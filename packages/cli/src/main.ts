#!/usr/bin/env node
/** `vmta`: the operator's command-line tool. */
import { RedisUrlError } from '@vmta/queue';
import { EXIT } from './exit-codes.js';
import { run } from './run.js';

// `vmta schema | head`, `vmta show queues | head`: the reader went away. Stop quietly, as other command-line
// tools do, instead of dying on an unhandled EPIPE with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(EXIT.ok);
});

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`vmta: ${err instanceof Error ? err.message : String(err)}\n`);
    // A REDIS_URL that cannot be read is the operator's input, like a bad option.
    process.exitCode = err instanceof RedisUrlError ? EXIT.usage : EXIT.software;
  },
);
