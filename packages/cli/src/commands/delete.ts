/**
 * `vmta delete --queue DOMAIN/VMTA [--dsn]`: delete the mail of a queue (`*` in the
 * pattern matches any run of characters, as for `vmta pause`); how, see deleteQueue
 * in @vmta/control. Without --dsn the mail is dropped silently; with --dsn every sender
 * gets a DSN.
 */
import { parseArgs } from 'node:util';
import { deleteQueue, deliveryRunning, matchQueues } from '@vmta/control';
import { EXIT } from '../exit-codes.js';
import { withCluster } from '../with-cluster.js';

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
    const names = await matchQueues(cluster, patterns);
    if (names.length === 0) {
      process.stderr.write(`vmta delete: no queue matches ${patterns.join(' ')}\n`);
      return EXIT.configInvalid;
    }
    let requested = 0;
    for (const name of names) {
      const result = await deleteQueue(cluster, name, { dsn, skipEmpty: true });
      if (!result?.request) {
        process.stdout.write(`${name}: nothing queued\n`);
        continue;
      }
      requested += 1;
      const { recipients } = result;
      process.stdout.write(`${name}: ${recipients} recipient${recipients === 1 ? '' : 's'} to delete${dsn ? ', senders get a DSN' : ' (no DSN)'}\n`);
    }
    if (requested > 0) {
      process.stdout.write('delivery processes carry the delete out; a message being sent right now is left to its connection (delivered, or deleted once given back)\n');
      if (!(await deliveryRunning(cluster))) process.stderr.write('vmta delete: no delivery process is running: the delete happens when one starts\n');
    }
    return EXIT.ok;
  });
}
