#!/usr/bin/env node
/**
 * `pnpm bench`: installs what it needs, runs the chosen scenarios, and writes
 * bench-results.json (raw figures) and BENCHMARKS.md. Scenarios not run this
 * time keep their previous figures from bench-results.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, USAGE, UsageError } from './args.js';
import { describeMachine } from './machine.js';
import { renderBenchmarks, type BenchResults, type Stamp } from './report.js';
import { runDkim } from './scenarios/dkim.js';
import { runE2e } from './scenarios/e2e.js';
import { runMillion } from './scenarios/million.js';
import { runOps } from './scenarios/ops.js';
import { runQueues } from './scenarios/queues.js';
import { runRedisCost } from './scenarios/redis-cost.js';
import { runReplication } from './scenarios/replication.js';
import { runCapacity } from './scenarios/capacity.js';
import { runSendersScenario } from './scenarios/senders.js';
import { runSuppress } from './scenarios/suppress.js';
import { ensureTools, toolVersions } from './tools.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function readPrevious(file: string): Partial<BenchResults> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Partial<BenchResults>;
  } catch {
    return {};
  }
}

async function main(argv: string[]): Promise<number> {
  let opts;
  try {
    opts = parseBenchArgs(argv, root);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message ? `pnpm bench: ${err.message}\n` : ''}${USAGE}\n`);
      return err.message ? 2 : 0;
    }
    throw err;
  }
  const cli = path.join(root, 'packages/cli/dist/main.js');
  if (!existsSync(cli)) {
    process.stderr.write(`pnpm bench: ${cli} is missing; run pnpm build first\n`);
    return 1;
  }
  // Created before anything runs: a missing --out directory must not lose a finished scenario's figures.
  mkdirSync(opts.outDir, { recursive: true });
  const jsonFile = path.join(opts.outDir, 'bench-results.json');
  const save = (results: BenchResults) => {
    writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
    const notesFile = path.join(root, 'packages/bench/notes.md');
    const notes = existsSync(notesFile) ? readFileSync(notesFile, 'utf8') : '';
    writeFileSync(path.join(opts.outDir, 'BENCHMARKS.md'), renderBenchmarks(results, notes));
  };
  if (opts.renderOnly) {
    const previous = readPrevious(jsonFile);
    if (!previous.machine) {
      process.stderr.write(`pnpm bench: no figures in ${jsonFile} to render\n`);
      return 1;
    }
    save(previous as BenchResults);
    log(`rendered ${path.join(opts.outDir, 'BENCHMARKS.md')} from ${jsonFile}`);
    return 0;
  }
  const tools = ensureTools(log);
  const machine = describeMachine(toolVersions(tools));
  log(`machine: ${machine.cpu}, ${machine.cores} cores, load average ${machine.loadAvgAtStart.join(' ')}`);
  const ctx = { tools, cli: opts.vmtaCli ?? cli, log };
  const results: BenchResults = { ...readPrevious(jsonFile), machine };
  const command = `pnpm bench ${argv.join(' ')}`.trim();
  const stamp = (): Stamp => ({ ranAt: new Date().toISOString(), loadAvgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100), command });
  // Each scenario's figures are written as soon as it finishes, so a later failure loses nothing.
  for (const scenario of opts.scenarios) {
    const s = stamp();
    if (scenario === 'e2e') results.e2e = { ...s, ...(await runE2e(ctx, opts)) };
    if (scenario === 'senders') results.senders = { ...s, ...(await runSendersScenario(ctx, opts, results.senders, (r) => save({ ...results, senders: { ...s, ...r } }))) };
    if (scenario === 'queues') results.queues = { ...s, ...(await runQueues(ctx, opts)) };
    if (scenario === 'million') results.million = { ...s, ...(await runMillion(ctx, opts)) };
    if (scenario === 'dkim') results.dkim = { ...s, ...(await runDkim(ctx, opts)) };
    if (scenario === 'suppress') results.suppress = { ...s, ...(await runSuppress(ctx, opts)) };
    if (scenario === 'ops') results.ops = { ...s, ...(await runOps(ctx, opts)) };
    if (scenario === 'redis-cost') results.redisCost = { ...s, ...(await runRedisCost(ctx, opts)) };
    if (scenario === 'replication') results.replication = { ...s, ...(await runReplication(ctx, opts)) };
    if (scenario === 'capacity') results.capacity = { ...s, ...(await runCapacity(ctx, opts)) };
    save(results);
    log(`${scenario}: done; figures in ${jsonFile}`);
  }
  log(`wrote ${path.join(opts.outDir, 'BENCHMARKS.md')}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`pnpm bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
