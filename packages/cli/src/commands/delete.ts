/**
 * `vmta delete --queue DOMAIN/VMTA [--dsn]`: delete the mail of a queue (`*` in the
 * pattern matches any run of characters, as for `vmta pause`). The request goes to the
 * delivery processes as a purge job (packages/delivery/src/worker/purge.ts): they never
 * hand the same message to a connection and to the delete; a message a connection holds
 * is left to it and deleted if the connection gives it back. Without --dsn the mail is
 * dropped silently; with --dsn every sender gets a DSN. Either way it counts as bounced.
 */
import { parseArgs } from 'node:util';
import { queueRef } from '@vmta/control';
import { listProcesses, queueNames } from '@vmta/queue';
import { EXIT } from '../exit-codes.js';
import { withCluster } from '../with-cluster.js';
import { matcher } from './queues.js';

const USAGE = 'usage: vmta delete --queue DOMAIN/VMTA [--dsn]   (patterns like */mta1 allowed)';

export async function deleteCommand(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({ args, options: { queue: { type: 'string', multiple: true }, dsn: { type: 'boolean', default: false }, config: { type: 'string' } } }).values;
  } catch (err) {
    process.stderr.write(`vmta delete: ${(err as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  const patterns = values.queue ?? [];
  if (patterns.length === 0 || patterns.some((p) => !p.includes('/'))) {
    process.stderr.write(`${USAGE}\n`);
    return EXIT.usage;
  }
  const dsn = values.dsn === true;
  return withCluster(async (cluster) => {
    const { redis, ops, keys } = cluster;
    const all = await queueNames(redis, keys);
    const names = [...new Set(patterns.flatMap((p) => all.filter(matcher(p))))].sort();
    if (names.length === 0) {
      process.stderr.write(`vmta delete: no queue matches ${patterns.join(' ')}\n`);
      return EXIT.configInvalid;
    }
    let requested = 0;
    for (const name of names) {
      const { queued } = await ops.stats(name);
      if (queued === 0) {
        process.stdout.write(`${name}: nothing queued\n`);
        continue;
      }
      await cluster.dispatcher.purge(queueRef(name), { dsn });
      requested += 1;
      process.stdout.write(`${name}: ${queued} recipient${queued === 1 ? '' : 's'} to delete${dsn ? ', senders get a DSN' : ' (no DSN)'}\n`);
    }
    if (requested > 0) {
      const delivering = (await listProcesses(redis, keys)).some((p) => p.alive && p.role !== 'listener');
      process.stdout.write('delivery processes carry the delete out; a message being sent right now is left to its connection (delivered, or deleted once given back)\n');
      if (!delivering) process.stderr.write('vmta delete: no delivery process is running: the delete happens when one starts\n');
    }
    return EXIT.ok;
  });
}
