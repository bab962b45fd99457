/**
 * `vmta events tail [--from ID|TIME] [--type d,b,...] [--count N] [--follow] [--json]`: the event
 * stream (readEvents in @vmta/control), oldest first; --follow waits for new events until ^C.
 */
import { parseArgs } from 'node:util';
import { readEvents, type EventsPage } from '@vmta/control';
import { EVENT_TYPES, type VmtaEvent } from '@vmta/queue';
import { EXIT } from '../exit-codes.js';
import { withCluster } from '../with-cluster.js';

const USAGE = 'usage: vmta events tail [--from ID|TIME] [--type d,b,f,rb,s,...] [--count N] [--follow] [--json]';

function usageError(message: string): number {
  process.stderr.write(`vmta events: ${message}\n${USAGE}\n`);
  return EXIT.usage;
}

function line(e: VmtaEvent): string {
  const what = e.type === 's' ? `${e.tenant ?? ''} ${e.reason ?? ''}` : [e.queue, e.dsnStatus, e.bounceCat].filter(Boolean).join(' ');
  return `${e.id}\t${e.type}\t${e.time}\t${e.recipient ?? ''}\t${what}${e.msgId ? `\t${e.msgId}` : ''}\n`;
}

export async function eventsCommand(args: string[]): Promise<number> {
  const [what, ...rest] = args;
  if (what !== 'tail') return usageError(`unknown action ${JSON.stringify(what ?? '')}`);
  let values;
  try {
    ({ values } = parseArgs({ args: rest, options: { from: { type: 'string' }, type: { type: 'string' }, count: { type: 'string' }, follow: { type: 'boolean' }, json: { type: 'boolean' } } }));
  } catch (err) {
    return usageError((err as Error).message);
  }
  const count = values.count !== undefined ? Number(values.count) : 20;
  if (!Number.isInteger(count) || count <= 0) return usageError('--count: a positive integer');
  const types = values.type?.split(',').map((t) => t.trim()).filter(Boolean);
  const unknown = types?.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t)) ?? [];
  if (unknown.length > 0) return usageError(`--type: unknown record type ${unknown.map((t) => JSON.stringify(t)).join(', ')} (known: ${EVENT_TYPES.join(', ')})`);
  const show = (page: EventsPage): void => {
    for (const e of page.events) process.stdout.write(values.json ? `${JSON.stringify(e)}\n` : line(e));
  };
  return withCluster(async (cluster) => {
    let page: EventsPage;
    try {
      page = await readEvents(cluster, { ...(values.from !== undefined ? { from: values.from } : {}), ...(types ? { types } : {}), count });
    } catch (err) {
      if ((err as { code?: string }).code === 'INVALID_ARGUMENT') return usageError((err as Error).message);
      throw err;
    }
    show(page);
    let stop = !values.follow;
    process.once('SIGINT', () => (stop = true));
    while (!stop) {
      page = await readEvents(cluster, { after: page.cursor, ...(types ? { types } : {}), count: 500, blockMs: 1000 });
      show(page);
    }
    return EXIT.ok;
  });
}
