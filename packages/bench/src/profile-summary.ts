#!/usr/bin/env node
/** `node packages/bench/dist/profile-summary.js FILE.cpuprofile...`: top self time by function and package. */
import { readFileSync } from 'node:fs';
import { summarizeProfiles, type CpuProfile } from './cpuprofile.js';

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: profile-summary FILE.cpuprofile...\n');
  process.exit(2);
}
const summary = summarizeProfiles(
  files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as CpuProfile),
  Number(process.env.TOP ?? 25),
);
process.stdout.write(`busy ${summary.busyMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms\n\nby package:\n`);
for (const r of summary.packages) process.stdout.write(`${r.pct.toFixed(1).padStart(6)}%  ${r.name}\n`);
process.stdout.write('\nby function (self time):\n');
for (const r of summary.functions) process.stdout.write(`${r.pct.toFixed(1).padStart(6)}%  ${r.name}\n`);
