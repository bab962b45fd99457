/**
 * `vmta show queues [DOMAIN[/VMTA]]`, `show topdomains`, `pause|resume|retry queue DOMAIN[/VMTA]`: queues of the
 * whole cluster, through Redis. A queue argument is PowerMTA's `domain[/vmta]`: a domain alone names its queues of
 * every VMTA; `*` matches any run of characters.
 */
import { parseArgs } from 'node:util';
import { domainRows, matchQueues, queueMatcher, queueModeActions, queueRowJson, queueRows, selectQueues, type QueueModeAction } from '@vmta/control';
import { checkConfigFile, DEFAULT_VMTA, findVmtaOrPool } from '@vmta/config';
import { clusterConfigPath } from '../config-path.js';
import { EXIT } from '../exit-codes.js';
import { queueNameProblem } from '../queue-arg.js';
import { withCluster } from '../with-cluster.js';
import { renderTable } from './table.js';

/** PowerMTA's `domain[/vmta]`: a domain alone is every queue of that domain. */
export function queuePattern(arg: string): string {
  return arg.includes('/') ? arg : `${arg}/*`;
}

/** --maxitems=N (PowerMTA's name): a positive whole number, else undefined with the reason on stderr. */
function maxItems(command: string, value: string | undefined): number | null | undefined {
  if (value === undefined) return null;
  if (/^[1-9]\d*$/.test(value)) return Number(value);
  process.stderr.write(`vmta ${command}: --maxitems takes a positive whole number, not ${JSON.stringify(value)}\n`);
  return undefined;
}

export async function showQueues(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, domain: { type: 'string' }, vmta: { type: 'string' }, config: { type: 'string' }, maxitems: { type: 'string' } },
  });
  const max = maxItems('show queues', values.maxitems);
  if (max === undefined || positionals.length > 1) {
    if (positionals.length > 1) process.stderr.write('vmta show queues: give at most one DOMAIN[/VMTA]\n');
    process.stderr.write('usage: vmta show queues [--json] [--domain D] [--vmta V] [--maxitems N] [DOMAIN[/VMTA]]\n');
    return EXIT.usage;
  }
  const problem = positionals[0] === undefined ? undefined : queueNameProblem(positionals[0], { domainAlone: true });
  if (problem) {
    process.stderr.write(`vmta show queues: ${problem}\n`);
    return EXIT.usage;
  }
  const named = positionals[0] === undefined ? undefined : queueMatcher(queuePattern(positionals[0]));
  return withCluster(async (cluster) => {
    const rows = (await queueRows(cluster))
      .filter(
        (r) =>
          (!values.domain || r.domain.toLowerCase() === values.domain.toLowerCase()) &&
          (!values.vmta || r.vmta.toLowerCase() === values.vmta.toLowerCase()) &&
          (!named || named(r.queue)),
      )
      .slice(0, max ?? undefined);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(rows.map(queueRowJson), null, 2)}\n`);
      return EXIT.ok;
    }
    // Why a queue is in backoff: the rule (file:line, or the operator) and the reply, since and until when.
    const why = (r: (typeof rows)[number]) =>
      r.backoff
        ? `${r.backoff.rule || 'operator'} since ${new Date(r.backoff.since).toISOString()}${r.backoff.until ? ` until ${new Date(r.backoff.until).toISOString()}` : ''}: ${r.backoff.reason}`
        : '';
    // The BACKOFF column only when a queue is in backoff.
    const backoff = rows.some((r) => r.backoff) ? 1 : 0;
    const table = [['QUEUE', 'QUEUED', 'INFLIGHT', 'DEFERRED', 'MODE', 'OLDEST', 'DELIVERED', 'BOUNCED', 'BACKOFF'].slice(0, 8 + backoff)].concat(
      rows.map((r) => [r.queue, r.queued, r.inflight, r.deferred, r.mode, `${r.oldestAgeSeconds}s`, r.delivered, r.bounced, why(r)].slice(0, 8 + backoff).map(String)),
    );
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    for (const row of table) process.stdout.write(`${row.map((c, i) => (i === 0 || i === 4 ? c.padEnd(widths[i]!) : i === 8 ? c : c.padStart(widths[i]!))).join('  ')}\n`);
    // Rolled-up queues (MX rollup): the domains they deliver for.
    for (const r of rows) if (r.members) process.stdout.write(`${r.queue} rolls up: ${r.members.join(', ')}\n`);
    return EXIT.ok;
  });
}

/** `vmta show topdomains [--vmta V] [--maxitems N] [--json]`: queued mail per recipient domain over its VMTAs, most first. */
export async function showTopDomains(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' }, vmta: { type: 'string' }, maxitems: { type: 'string' } } });
  const max = maxItems('show topdomains', values.maxitems);
  if (max === undefined) {
    process.stderr.write('usage: vmta show topdomains [--vmta V] [--maxitems N] [--json]\n');
    return EXIT.usage;
  }
  return withCluster(async (cluster) => {
    const vmta = values.vmta?.toLowerCase();
    const rows = domainRows((await queueRows(cluster)).filter((r) => !vmta || r.vmta.toLowerCase() === vmta)).slice(0, max ?? undefined);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return EXIT.ok;
    }
    const cells = rows.map((d) => [d.domain, d.queued, d.inflight, d.deferred, `${d.oldestAgeSeconds}s`, d.delivered, d.bounced, d.queues].map(String));
    const lines = renderTable([['DOMAIN', 'QUEUED', 'INFLIGHT', 'DEFERRED', 'OLDEST', 'DELIVERED', 'BOUNCED', 'QUEUES'], ...cells], [1, 2, 3, 4, 5, 6, 7]);
    process.stdout.write(`${lines.join('\n')}\n`);
    return EXIT.ok;
  });
}

export async function queueAction(action: QueueModeAction, args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' } } });
  const [what, arg] = positionals;
  if (what !== 'queue' || !arg || positionals.length > 2) {
    process.stderr.write(`usage: vmta ${action} queue DOMAIN[/VMTA]   (a domain alone: its queues of every VMTA; patterns like */mta1 allowed)\n`);
    return EXIT.usage;
  }
  const problem = queueNameProblem(arg, { domainAlone: true });
  if (problem) {
    process.stderr.write(`vmta ${action}: ${problem}\n`);
    return EXIT.usage;
  }
  const pattern = queuePattern(arg);
  return withCluster(async (cluster) => {
    const names = await selectQueues(cluster, pattern);
    if (await refusedAsUnknown(cluster, pattern, names, values.config, action)) return EXIT.configInvalid;
    for (const name of names) {
      const { queue, mode } = await queueModeActions[action](cluster, name);
      process.stdout.write(`${queue}: ${mode}\n`);
    }
    if (names.length === 0) process.stderr.write(`vmta ${action}: no queue matches ${pattern}\n`);
    return names.length === 0 ? EXIT.configInvalid : EXIT.ok;
  });
}

/**
 * A queue that has held no mail is taken as written (paused or put into backoff ahead of its mail), so a
 * typo must not pass: true, with the reason on stderr, when `names` is such a queue that cannot exist.
 */
export async function refusedAsUnknown(
  cluster: Parameters<typeof selectQueues>[0],
  pattern: string,
  names: readonly string[],
  explicitConfig: string | undefined,
  command: string,
): Promise<boolean> {
  if (names.length !== 1 || names[0] !== pattern || (await matchQueues(cluster, [pattern])).length > 0) return false;
  const refusal = await unknownQueueRefusal(pattern, explicitConfig);
  if (refusal) process.stderr.write(`vmta ${command}: ${refusal}\n`);
  return refusal !== undefined;
}

/**
 * Why a queue that has never held mail cannot be one: a VMTA the configuration does not have (PowerMTA's queues
 * are domain/vmta of a configured VMTA; a malformed name was refused before, queue-arg.ts). Undefined when it
 * can be, or when the configuration cannot be read (then it is taken as written, as before).
 */
async function unknownQueueRefusal(queue: string, explicitConfig: string | undefined): Promise<string | undefined> {
  const vmta = queue.slice(queue.indexOf('/') + 1);
  if (vmta === DEFAULT_VMTA) return undefined;
  const file = await clusterConfigPath(explicitConfig);
  let config;
  try {
    config = checkConfigFile(file).config;
  } catch {
    return undefined;
  }
  if (!config) return undefined;
  const target = findVmtaOrPool(config, vmta);
  if (target?.kind === 'vmta') return undefined;
  return `${vmta} is ${target ? 'a pool, not a virtual MTA' : `not a virtual MTA of ${file}`}: no queue ${queue} can hold mail`;
}
