/** `vmta set queue --mode=backoff|normal DOMAIN/VMTA`: put queues into backoff mode or back to normal (see setQueueMode). */
import { parseArgs } from 'node:util';
import { selectQueues, setQueueMode, SETTABLE_MODES, type SettableMode } from '@vmta/control';
import { pino } from 'pino';
import { EXIT } from '../exit-codes.js';
import { queueNameProblem } from '../queue-arg.js';
import { noticeConfig } from '../notice-config.js';
import { refusedAsUnknown } from './queues.js';
import { withCluster } from '../with-cluster.js';

const USAGE = 'usage: vmta set queue --mode=backoff|normal [--config FILE] DOMAIN/VMTA   (patterns like */mta1 allowed)\n';

export async function setCommand(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { mode: { type: 'string' }, config: { type: 'string' } } });
  const [what, pattern] = positionals;
  const mode = values.mode?.toLowerCase();
  if (what !== 'queue' || !pattern || !pattern.includes('/') || !SETTABLE_MODES.includes(mode as SettableMode)) {
    process.stderr.write(USAGE);
    return EXIT.usage;
  }
  const problem = queueNameProblem(pattern);
  if (problem) {
    process.stderr.write(`vmta set: ${problem}\n${USAGE}`);
    return EXIT.usage;
  }
  // The notices' log lines go to stderr; stdout says what happened.
  const config = await noticeConfig(values.config, 'set');
  const notify = config ? { config, log: pino({ base: null }, pino.destination({ dest: 2, sync: true })) } : undefined;
  return withCluster(async (cluster) => {
    const names = await selectQueues(cluster, pattern);
    if (await refusedAsUnknown(cluster, pattern, names, values.config, 'set')) return EXIT.configInvalid;
    for (const name of names) {
      const r = await setQueueMode(cluster, name, mode as SettableMode, Date.now(), notify);
      process.stdout.write(`${r.queue}: ${r.mode}${r.changed ? '' : ' (unchanged)'}\n`);
    }
    if (names.length === 0) process.stderr.write(`vmta set: no queue matches ${pattern}\n`);
    return names.length === 0 ? EXIT.configInvalid : EXIT.ok;
  });
}
