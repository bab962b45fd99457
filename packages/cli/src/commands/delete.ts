/**
 * `vmta delete --queue DOMAIN/VMTA [--dsn]`: delete the mail of a queue (`*` in the pattern matches
 * any run of characters, as for `vmta pause`); how, see deleteQueue in @vmta/control.
 * `--job ID`, `--orig ADDR|/re/`, `--rcpt ADDR|/re/`, `--older-than T` (2h, 3d) narrow it to what
 * they name, combinable with each other and with `--queue` (all queues without it); see
 * deleteMessages. Without --dsn the mail is dropped silently; with --dsn every sender gets a DSN.
 */
import { parseArgs } from 'node:util';
import { parseTimeInterval } from '@vmta/config';
import { deleteMessages, deleteQueue, deliveryRunning, matchQueues, type Cluster } from '@vmta/control';
import { addressMatcher } from '@vmta/queue';
import { EXIT } from '../exit-codes.js';
import { queueNameProblem } from '../queue-arg.js';
import { withCluster } from '../with-cluster.js';

const USAGE = [
  'usage: vmta delete --queue DOMAIN/VMTA [--dsn]   (patterns like */mta1 allowed)',
  '       vmta delete [--queue DOMAIN/VMTA] [--job ID] [--orig ADDR|/re/] [--rcpt ADDR|/re/] [--older-than 2h] [--dsn]',
].join('\n');

const OPTIONS = {
  queue: { type: 'string', multiple: true },
  job: { type: 'string' },
  // PowerMTA's spelling (`pmta delete --jobId=ID`).
  jobId: { type: 'string' },
  orig: { type: 'string' },
  rcpt: { type: 'string' },
  'older-than': { type: 'string' },
  dsn: { type: 'boolean', default: false },
  config: { type: 'string' },
} as const;

export async function deleteCommand(args: string[]): Promise<number> {
  let values;
  let olderThanMs: number | undefined;
  try {
    values = parseArgs({ args, options: OPTIONS }).values;
    if (values['older-than'] !== undefined) olderThanMs = parseTimeInterval(values['older-than']);
    // A bad name or /re/ is the operator's input: refused before Redis is asked (FilterPatternError for a /re/).
    for (const p of [values.orig, values.rcpt]) if (p !== undefined) addressMatcher(p);
    const problem = (values.queue ?? []).map((q) => queueNameProblem(q)).find((p) => p !== undefined);
    if (problem) throw new Error(problem);
  } catch (err) {
    process.stderr.write(`vmta delete: ${(err as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  const patterns = values.queue ?? [];
  const job = values.job ?? values.jobId;
  const filtered = job !== undefined || values.orig !== undefined || values.rcpt !== undefined || olderThanMs !== undefined;
  if (!filtered && patterns.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return EXIT.usage;
  }
  const dsn = values.dsn === true;
  const filter = { job, orig: values.orig, rcpt: values.rcpt };
  return withCluster(async (cluster) => {
    const requested = filtered ? await deleteFiltered(cluster, patterns, filter, olderThanMs, dsn) : await deleteQueues(cluster, patterns, dsn);
    if (requested === undefined) return EXIT.configInvalid;
    if (requested > 0) {
      process.stdout.write('delivery processes carry the delete out; a message being sent right now is left to its connection (delivered, or deleted once given back)\n');
      if (!(await deliveryRunning(cluster))) process.stderr.write('vmta delete: no delivery process is running: the delete happens when one starts\n');
    }
    return EXIT.ok;
  });
}

async function deleteQueues(cluster: Cluster, patterns: string[], dsn: boolean): Promise<number | undefined> {
  const names = await matchQueues(cluster, patterns);
  if (names.length === 0) {
    process.stderr.write(`vmta delete: no queue matches ${patterns.join(' ')}\n`);
    return undefined;
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
  return requested;
}

async function deleteFiltered(
  cluster: Cluster,
  patterns: string[],
  filter: { job?: string; orig?: string; rcpt?: string },
  olderThanMs: number | undefined,
  dsn: boolean,
): Promise<number | undefined> {
  // --orig and --rcpt were compiled before (deleteCommand): no FilterPatternError here.
  const result = await deleteMessages(cluster, { queues: patterns, filter, ...(olderThanMs !== undefined ? { olderThanMs } : {}), dsn });
  for (const { queue } of result.requests) process.stdout.write(`${queue}: matching mail to delete${dsn ? ', senders get a DSN' : ' (no DSN)'}\n`);
  if (result.requests.length === 0) process.stdout.write('no queue holds mail to look at\n');
  return result.requests.length;
}
