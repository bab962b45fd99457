/**
 * `node packages/bench/dist/profile-inclusive.js FILE.cpuprofile [TOP] [FILTER]`: the functions of a V8
 * CPU profile (e.g. a BENCH_CPUPROF_WINDOW one) by inclusive time, optionally only those whose name
 * contains FILTER (`listener/dist`, `smtp-server`). Bench only.
 */
import { readFileSync } from 'node:fs';
import { inclusiveTimes, type CpuProfile } from './cpuprofile.js';

const [file, top = '40', filter] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: profile-inclusive FILE.cpuprofile [TOP] [FILTER]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const { busyMs, functions } = inclusiveTimes([profile], Number.MAX_SAFE_INTEGER);
process.stdout.write(`busy ${busyMs.toFixed(0)} ms (idle left out); % of busy, inclusive\n`);
for (const f of functions.filter((r) => !filter || r.name.includes(filter)).slice(0, Number(top))) {
  process.stdout.write(`${f.pct.toFixed(2).padStart(6)}  ${(f.us / 1000).toFixed(0).padStart(7)} ms  ${f.name}\n`);
}
