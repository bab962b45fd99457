/**
 * GET /queues (monitor): the rows of `vmta show queues --json`; POST /queues/DOMAIN%2FVMTA/pause|resume|retry
 * (operator); POST /queues/DOMAIN%2FVMTA/delete[?dsn=1] (operator): delivery processes delete the queue's mail.
 */
import { queueRef, queueRowJson, queueRows, splitQueueName } from '@vmta/control';
import { hasQueue } from '@vmta/queue';
import { sendJson } from '../respond.js';
import { exact, type HttpContext, type Route } from '../route.js';

const ACTION_PATH = /^\/queues\/(.+)\/(pause|resume|retry)$/;
const DELETE_PATH = /^\/queues\/(.+)\/delete$/;
type Action = 'pause' | 'resume' | 'retry';

/** `?dsn=1` (or true, yes): a flag of the query string. Pure. */
export function queryFlag(value: string | null): boolean {
  return value !== null && ['1', 'true', 'yes', ''].includes(value.toLowerCase());
}

/** The queue named by a path segment, or undefined when it is not one plain DOMAIN/VMTA. */
function queueOf(encoded: string): string | undefined {
  const queue = decode(encoded);
  const { domain, vmta } = queue?.includes('/') ? splitQueueName(queue) : { domain: '', vmta: '' };
  return queue && domain && vmta && !queue.includes('*') ? queue : undefined;
}

/** Applies an operator action the way `vmta pause|resume|retry queue` does; returns the queue's new mode. */
async function applyAction({ cluster }: HttpContext, queue: string, action: Action): Promise<string> {
  if (action === 'pause') await cluster.ops.pause(queue);
  if (action === 'resume') await cluster.ops.resume(queue);
  if (action === 'retry') await cluster.ops.leaveRetry(queue);
  if (action !== 'pause') await cluster.dispatcher.wake(queueRef(queue));
  return (await cluster.ops.state(queue)).mode;
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export const queueRoutes: Route[] = [
  {
    method: 'GET',
    match: exact('/queues'),
    level: 'monitor',
    async handle(ctx, res) {
      sendJson(res, 200, (await queueRows(ctx.cluster)).map(queueRowJson));
    },
  },
  {
    method: 'POST',
    match: (path) => {
      const m = ACTION_PATH.exec(path);
      return m ? [m[1]!, m[2]!] : undefined;
    },
    level: 'operator',
    async handle(ctx, res, [encoded, action]) {
      const queue = queueOf(encoded!);
      if (!queue) {
        sendJson(res, 400, { error: 'bad-queue', message: 'expected /queues/DOMAIN%2FVMTA/pause|resume|retry (no patterns)' });
        return;
      }
      const mode = await applyAction(ctx, queue, action as Action);
      ctx.log.info({ event: 'http-queue-action', queue, action, mode }, `${action} ${queue}`);
      sendJson(res, 200, { queue, mode });
    },
  },
  {
    method: 'POST',
    match: (path) => {
      const m = DELETE_PATH.exec(path);
      return m ? [m[1]!] : undefined;
    },
    level: 'operator',
    async handle(ctx, res, [encoded], client) {
      const queue = queueOf(encoded!);
      if (!queue) {
        sendJson(res, 400, { error: 'bad-queue', message: 'expected /queues/DOMAIN%2FVMTA/delete (no patterns)' });
        return;
      }
      if (!(await hasQueue(ctx.cluster.redis, ctx.cluster.keys, queue))) {
        sendJson(res, 404, { error: 'no-queue', message: `no queue ${queue}` });
        return;
      }
      const dsn = queryFlag(client.query.get('dsn'));
      const { queued } = await ctx.cluster.ops.stats(queue);
      const request = await ctx.cluster.dispatcher.purge(queueRef(queue), { dsn });
      ctx.log.info({ event: 'http-queue-delete', queue, recipients: queued, dsn, jobId: request.jobId }, `delete ${queue}`);
      // 202: delivery processes carry the delete out (a message a connection holds is left to it, deleted if given back).
      sendJson(res, 202, { queue, recipients: queued, dsn, requested: new Date(request.before).toISOString() });
    },
  },
];
