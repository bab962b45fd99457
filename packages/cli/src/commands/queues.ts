/** `vmta show queues`, `pause|resume|retry queue DOMAIN/VMTA`: queues of the whole cluster, through Redis. */
import { parseArgs } from 'node:util';
import { queueRef, queueRowJson, queueRows } from '@vmta/control';
import { queueNames } from '@vmta/queue';
import { EXIT } from '../exit-codes.js';
import { withCluster } from '../with-cluster.js';

/** `*` in a queue pattern matches any run of characters. */
export function matcher(pattern: string): (name: string) => boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`, 'i');
  return (name) => re.test(name);
}

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
    const table = [['QUEUE', 'QUEUED', 'INFLIGHT', 'DEFERRED', 'MODE', 'OLDEST', 'DELIVERED', 'BOUNCED']].concat(
      rows.map((r) => [r.queue, r.queued, r.inflight, r.deferred, r.mode, `${r.oldestAgeSeconds}s`, r.delivered, r.bounced].map(String)),
    );
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    for (const row of table) process.stdout.write(`${row.map((c, i) => (i === 0 || i === 4 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}\n`);
    return EXIT.ok;
  });
}

export async function queueAction(action: 'pause' | 'resume' | 'retry', args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' } } });
  const [what, pattern] = positionals;
  if (what !== 'queue' || !pattern || !pattern.includes('/')) {
    process.stderr.write(`usage: vmta ${action} queue DOMAIN/VMTA   (patterns like */mta1 allowed)\n`);
    return EXIT.usage;
  }
  return withCluster(async (cluster) => {
    const { redis, ops, keys } = cluster;
    const match = matcher(pattern);
    const names = (await queueNames(redis, keys)).filter(match);
    if (names.length === 0 && !pattern.includes('*')) names.push(pattern);
    for (const name of names) {
      if (action === 'pause') await ops.pause(name);
      if (action === 'resume') await ops.resume(name);
      if (action === 'retry') await ops.leaveRetry(name);
      if (action !== 'pause') await cluster.dispatcher.wake(queueRef(name));
      process.stdout.write(`${name}: ${(await ops.state(name)).mode}\n`);
    }
    if (names.length === 0) process.stderr.write(`vmta ${action}: no queue matches ${pattern}\n`);
    return names.length === 0 ? EXIT.configInvalid : EXIT.ok;
  });
}
