/** GET /status (monitor): version and uptime of this process, cluster totals and per-minute rates, queues, processes. */
import { clusterStatus } from '@vmta/control';
import { sendJson } from '../respond.js';
import { exact, type Route } from '../route.js';

export const statusRoutes: Route[] = [
  {
    method: 'GET',
    match: exact('/status'),
    level: 'monitor',
    async handle(ctx, res) {
      const status = await clusterStatus(ctx.cluster);
      sendJson(res, 200, { version: ctx.version, uptimeSeconds: Math.round(process.uptime()), ...status });
    },
  },
];
