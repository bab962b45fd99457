/** `vmta show queues`, `pause|resume|retry queue DOMAIN/VMTA`: queues of the whole cluster, through Redis. */
import { parseArgs } from 'node:util';
import { queueModeActions, queueRowJson, queueRows, selectQueues, type QueueModeAction } from '@vmta/control';
import { EXIT } from '../exit-codes.js';
import { withCluster } from '../with-cluster.js';

export async function showQueues(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' }, domain: { type: 'string' }, vmta: { type: 'string' }, config: { type: 'string' } } });
  return withCluster(async (cluster) => {
    const rows = (await queueRows(cluster)).filter(
      (r) => (!values.domain || r.domain.toLowerCase() === values.domain.toLowerCase()) && (!values.vmta || r.vmta.toLowerCase() === values.vmta.toLowerCase()),
    );
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

export async function queueAction(action: QueueModeAction, args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' } } });
  const [what, pattern] = positionals;
  if (what !== 'queue' || !pattern || !pattern.includes('/')) {
    process.stderr.write(`usage: vmta ${action} queue DOMAIN/VMTA   (patterns like */mta1 allowed)\n`);
    return EXIT.usage;
  }
  return withCluster(async (cluster) => {
    const names = await selectQueues(cluster, pattern);
    for (const name of names) {
      const { queue, mode } = await queueModeActions[action](cluster, name);
      process.stdout.write(`${queue}: ${mode}\n`);
    }
    if (names.length === 0) process.stderr.write(`vmta ${action}: no queue matches ${pattern}\n`);
    return names.length === 0 ? EXIT.configInvalid : EXIT.ok;
  });
}
