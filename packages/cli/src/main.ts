#!/usr/bin/env node
/** `vmta`: the operator's command-line tool. */
import { run } from './run.js';

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`vmta: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 70;
  },
);
