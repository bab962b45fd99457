/** GET /queues (monitor): the rows of `vmta show queues --json`; POST /queues/DOMAIN%2FVMTA/pause|resume|retry (operator). */
import { queueRows, splitQueueName } from '@vmta/queue';
import { sendJson } from '../respond.js';
import { exact, type HttpContext, type Route } from '../route.js';

const ACTION_PATH = /^\/queues\/(.+)\/(pause|resume|retry)$/;
type Action = 'pause' | 'resume' | 'retry';

/** Applies an operator action the way `vmta pause|resume|retry queue` does; returns the queue's new mode. */
async function applyAction(ctx: HttpContext, queue: string, action: Action): Promise<string> {
  if (action === 'pause') await ctx.ops.pause(queue);
  if (action === 'resume') await ctx.ops.resume(queue);
  if (action === 'retry') await ctx.ops.leaveRetry(queue);
  if (action !== 'pause') await ctx.dispatcher.wake({ queue, ...splitQueueName(queue) });
  return (await ctx.ops.state(queue)).mode;
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
      const rows = await queueRows(ctx.redis, ctx.keys, ctx.ops);
      sendJson(res, 200, rows.map(({ retryAt, ...r }) => ({ ...r, ...(retryAt ? { retryAt: new Date(retryAt).toISOString() } : {}) })));
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
      const queue = decode(encoded!);
      const { domain, vmta } = queue?.includes('/') ? splitQueueName(queue) : { domain: '', vmta: '' };
      if (!queue || !domain || !vmta || queue.includes('*')) {
        sendJson(res, 400, { error: 'bad-queue', message: 'expected /queues/DOMAIN%2FVMTA/pause|resume|retry (no patterns)' });
        return;
      }
      const mode = await applyAction(ctx, queue, action as Action);
      ctx.log.info({ event: 'http-queue-action', queue, action, mode }, `${action} ${queue}`);
      sendJson(res, 200, { queue, mode });
    },
  },
];
