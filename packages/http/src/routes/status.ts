/** GET /status (monitor): version, uptime, cluster totals and the number of queues. */
import { clusterTotals } from '@vmta/queue';
import { sendJson } from '../respond.js';
import { exact, type Route } from '../route.js';

export const statusRoutes: Route[] = [
  {
    method: 'GET',
    match: exact('/status'),
    level: 'monitor',
    async handle(ctx, res) {
      const [totals, queues] = await Promise.all([clusterTotals(ctx.redis, ctx.keys), ctx.redis.scard(ctx.keys.queueIndex())]);
      sendJson(res, 200, { version: ctx.version, uptimeSeconds: Math.round(process.uptime()), totals, queues });
    },
  },
];
