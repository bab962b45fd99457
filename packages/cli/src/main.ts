#!/usr/bin/env node
/** `vmta`: the operator's command-line tool. */
import { RedisUrlError } from '@vmta/queue';
import { EXIT } from './exit-codes.js';
import { run } from './run.js';

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
