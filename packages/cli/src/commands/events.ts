/**
 * `vmta events tail [--from ID|TIME] [--type d,b,...] [--count N] [--follow] [--json]`: the event
 * stream (readEvents in @vmta/control), oldest first; --follow waits for new events until ^C.
 * When nothing shows, stderr says why: which stream was read, whether it holds anything, and whether
 * the configuration writes it at all (records are written only when something reads them).
 */
import { parseArgs } from 'node:util';
import { checkConfigFile, eventStreamWanted } from '@vmta/config';
import { eventStreamState, readEvents, type EventsPage } from '@vmta/control';
import { EVENT_TYPES, type VmtaEvent } from '@vmta/queue';
import { clusterConfigPath } from '../config-path.js';
import { EXIT } from '../exit-codes.js';
import { withCluster } from '../with-cluster.js';

const USAGE = 'usage: vmta events tail [--from ID|TIME] [--type d,b,f,rb,s,...] [--count N] [--follow] [--json] [--config FILE]';

const WRITERS = 'records are written only when an <acct-file>, a <webhook> or event-stream yes reads them';

/** The stream as read: its key, entries and newest entry id (none when empty). */
export interface StreamSeen {
  key: string;
  length: number;
  lastId?: string;
}

/**
 * Why a read showed no event (one line for stderr). `writes`: whether the configuration writes the stream
 * (undefined when it could not be read, with `file` then naming what was tried). Pure.
 */
export function nothingShownReason(
  state: StreamSeen,
  asked: { from?: string; types?: readonly string[]; count: number },
  config: { file: string; writes?: boolean },
): string {
  const at = (id: string) => `${id}, ${new Date(Number(id.split('-')[0])).toISOString()}`;
  if (state.length === 0) {
    const why =
      config.writes === false
        ? `${config.file} writes none (${WRITERS})`
        : config.writes === true
          ? `${config.file} writes it as mail is received and delivered`
          : `${WRITERS}; ${config.file} could not be read to tell`;
    return `no events yet: the stream ${state.key} is empty; ${why}`;
  }
  const last = `the last of its ${state.length} entries is ${at(state.lastId!)}`;
  if (asked.from !== undefined) return `no event${asked.types ? ` of type ${asked.types.join(',')}` : ''} from ${asked.from} on in ${state.key} (${last})`;
  return `no event of type ${asked.types?.join(',') ?? '?'} among the last ${asked.count} entries of ${state.key} (${last}); more with --count or --from`;
}

/** Whether the configuration the cluster runs on writes the event stream (undefined: it could not be read). */
async function configWrites(explicit: string | undefined): Promise<{ file: string; writes?: boolean }> {
  const file = await clusterConfigPath(explicit);
  try {
    const { config } = checkConfigFile(file);
    return config ? { file, writes: eventStreamWanted(config) } : { file };
  } catch {
    return { file };
  }
}

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
    ({ values } = parseArgs({ args: rest, options: { from: { type: 'string' }, type: { type: 'string' }, count: { type: 'string' }, follow: { type: 'boolean' }, json: { type: 'boolean' }, config: { type: 'string' } } }));
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
    if (page.events.length === 0) {
      const asked = { ...(values.from !== undefined ? { from: values.from } : {}), ...(types ? { types } : {}), count };
      const [state, newest] = await Promise.all([eventStreamState(cluster), readEvents(cluster, { count: 1 })]);
      const seen = { key: cluster.keys.accounting(), length: state.length, ...(newest.events[0] ? { lastId: newest.events[0].id } : {}) };
      const reason = nothingShownReason(seen, asked, await configWrites(values.config));
      process.stderr.write(`vmta events: ${reason}${values.follow ? '; waiting for new events (^C to stop)' : ''}\n`);
    }
    let stop = !values.follow;
    process.once('SIGINT', () => (stop = true));
    while (!stop) {
      page = await readEvents(cluster, { after: page.cursor, ...(types ? { types } : {}), count: 500, blockMs: 1000 });
      show(page);
    }
    return EXIT.ok;
  });
}
