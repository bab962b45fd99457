/** `vmta show messages --queue DOMAIN/VMTA [--limit N] [--json]`: the oldest messages of a queue. */
import { parseArgs } from 'node:util';
import { messagesView } from '@vmta/control';
import { EXIT } from '../exit-codes.js';
import { queueNameProblem } from '../queue-arg.js';
import { withCluster } from '../with-cluster.js';
import { formatDuration, renderTable } from './table.js';

const USAGE = 'usage: vmta show messages --queue DOMAIN/VMTA [--limit N] [--json]';

export async function showMessages(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({ args, options: { queue: { type: 'string' }, limit: { type: 'string', default: '100' }, json: { type: 'boolean' }, config: { type: 'string' } } }).values;
  } catch (err) {
    process.stderr.write(`vmta show messages: ${(err as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  const limit = Number(values.limit);
  const problem = values.queue === undefined ? undefined : queueNameProblem(values.queue);
  if (!values.queue || problem || !Number.isInteger(limit) || limit < 1) {
    process.stderr.write(`${problem ? `vmta show messages: ${problem}\n` : ''}${USAGE}\n`);
    return EXIT.usage;
  }
  const queue = values.queue;
  return withCluster(async (cluster) => {
    const rows = await messagesView(cluster, queue, limit);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return EXIT.ok;
    }
    const table = [['ID', 'SENDER', 'RECIPIENTS', 'AGE', 'ATTEMPTS', 'LAST REPLY']].concat(
      rows.map((m) => [m.id, m.sender || '<>', m.recipients.join(','), formatDuration(m.ageSeconds), String(m.attempts), m.lastReply ?? '']),
    );
    for (const line of renderTable(table, [4])) process.stdout.write(`${line}\n`);
    return EXIT.ok;
  });
}
