/**
 * `vmta disable source IP [DOMAIN/VMTA]`, `vmta enable source IP [DOMAIN/VMTA]` (no queue: every
 * queue) and `vmta show disabled-sources [--json]`: see packages/control/src/actions/source-ip.ts.
 */
import { parseArgs } from 'node:util';
import { disabledSourceRows, disableSource, enableSource, SourceArgumentError, type DisabledSourceRow } from '@vmta/control';
import { pino } from 'pino';
import { EXIT } from '../exit-codes.js';
import { queueNameProblem } from '../queue-arg.js';
import { noticeConfig } from '../notice-config.js';
import { renderTable } from './table.js';
import { withCluster } from '../with-cluster.js';

const USAGE = ['usage: vmta disable source [--config FILE] IP [DOMAIN/VMTA]   (no queue: every queue)', '       vmta enable source [--config FILE] IP [DOMAIN/VMTA]', '       vmta show disabled-sources [--json]'].join('\n');

export async function sourceCommand(change: 'disable' | 'enable', args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string', short: 'c' } } });
  } catch (err) {
    process.stderr.write(`vmta ${change} source: ${(err as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  const [what, ip, queue, ...extra] = parsed.positionals;
  if (what !== 'source' || !ip || extra.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return EXIT.usage;
  }
  const problem = queue === undefined ? undefined : queueNameProblem(queue);
  if (problem) {
    process.stderr.write(`vmta ${change} source: ${problem}\n${USAGE}\n`);
    return EXIT.usage;
  }
  const config = await noticeConfig(parsed.values.config, `${change} source`);
  // The change's log line goes to stderr; stdout says what happened.
  const log = pino({ base: null }, pino.destination({ dest: 2, sync: true }));
  return withCluster(async (cluster) => {
    try {
      const o = { log, ...(config ? { config } : {}) };
      const r = change === 'disable' ? await disableSource(cluster, ip, queue, o) : await enableSource(cluster, ip, queue, o);
      process.stdout.write(`${r.ip} ${r.queue}: ${change}d${r.changed ? '' : ' (unchanged)'}\n`);
      return EXIT.ok;
    } catch (err) {
      if (!(err instanceof SourceArgumentError)) throw err;
      process.stderr.write(`vmta ${change} source: ${err.message}\n${USAGE}\n`);
      return EXIT.usage;
    }
  });
}

export async function showDisabledSources(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({ args, options: { json: { type: 'boolean' } } }).values;
  } catch (err) {
    process.stderr.write(`vmta show disabled-sources: ${(err as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  return withCluster(async (cluster) => {
    const rows = await disabledSourceRows(cluster);
    process.stdout.write(values.json ? `${JSON.stringify(rows, null, 2)}\n` : `${disabledSourcesText(rows).join('\n')}\n`);
    return EXIT.ok;
  });
}

/** The human form: one line per disabled source. Pure. */
export function disabledSourcesText(rows: readonly DisabledSourceRow[]): string[] {
  if (rows.length === 0) return ['no source IP is disabled'];
  const cells = rows.map((r) => [r.ip, r.queue, r.since, r.until ?? 'until enabled', r.rule ? `${r.reason} (${r.rule})` : r.reason]);
  return renderTable([['IP', 'QUEUE', 'SINCE', 'UNTIL', 'WHY'], ...cells]);
}
