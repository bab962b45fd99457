/**
 * GET /queues (monitor): the rows of `vmta show queues --json`; POST /queues/DOMAIN%2FVMTA/pause|resume|retry
 * (operator); POST /queues/DOMAIN%2FVMTA/mode/backoff|normal (operator): backoff mode on or off;
 * POST /queues/DOMAIN%2FVMTA/delete[?dsn=1] (operator): delivery processes delete the queue's mail.
 */
import { deleteQueue, setQueueMode, type SettableMode, queueModeActions, queueRowJson, queueRows, splitQueueName, type QueueModeAction } from '@vmta/control';
import { sendJson } from '../respond.js';
import { exact, type Route } from '../route.js';

const ACTION_PATH = /^\/queues\/(.+)\/(pause|resume|retry)$/;
const DELETE_PATH = /^\/queues\/(.+)\/delete$/;
const SET_MODE_PATH = /^\/queues\/(.+)\/mode\/(backoff|normal)$/;

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

/** A path segment decoded, or undefined when it is not valid percent-encoding. */
export function decode(segment: string): string | undefined {
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
      const { mode } = await queueModeActions[action as QueueModeAction](ctx.cluster, queue);
      ctx.log.info({ event: 'http-queue-action', queue, action, mode }, `${action} ${queue}`);
      sendJson(res, 200, { queue, mode });
    },
  },
  {
    method: 'POST',
    match: (path) => {
      const m = SET_MODE_PATH.exec(path);
      return m ? [m[1]!, m[2]!] : undefined;
    },
    level: 'operator',
    async handle(ctx, res, [encoded, mode]) {
      const queue = queueOf(encoded!);
      if (!queue) {
        sendJson(res, 400, { error: 'bad-queue', message: 'expected /queues/DOMAIN%2FVMTA/mode/backoff|normal (no patterns)' });
        return;
      }
      const result = await setQueueMode(ctx.cluster, queue, mode as SettableMode, Date.now(), { config: ctx.config(), log: ctx.log });
      ctx.log.info({ event: 'http-queue-mode', queue, mode: result.mode, changed: result.changed }, `set mode ${mode} ${queue}`);
      sendJson(res, 200, { queue, mode: result.mode });
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
      const result = await deleteQueue(ctx.cluster, queue, { dsn: queryFlag(client.query.get('dsn')) });
      if (!result?.request) {
        // Without skipEmpty every queue that held mail gets a request: none means no such queue.
        sendJson(res, 404, { error: 'no-queue', message: `no queue ${queue}` });
        return;
      }
      const { recipients, dsn, request } = result;
      ctx.log.info({ event: 'http-queue-delete', queue, recipients, dsn, jobId: request.jobId }, `delete ${queue}`);
      // 202: delivery processes carry the delete out (a message a connection holds is left to it, deleted if given back).
      sendJson(res, 202, { queue, recipients, dsn, requested: new Date(request.before).toISOString() });
    },
  },
];
