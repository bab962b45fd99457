/** GET /metrics (monitor): Prometheus text format, collected from Redis on each scrape. */
import { clusterTotals, queueRows } from '@vmta/queue';
import { metricsRegistry } from '../metrics.js';
import { sendText } from '../respond.js';
import { exact, type Route } from '../route.js';

export const metricsRoutes: Route[] = [
  {
    method: 'GET',
    match: exact('/metrics'),
    level: 'monitor',
    async handle(ctx, res) {
      const [rows, totals] = await Promise.all([queueRows(ctx.redis, ctx.keys, ctx.ops), clusterTotals(ctx.redis, ctx.keys)]);
      const registry = metricsRegistry(rows, totals);
      sendText(res, 200, registry.contentType, await registry.metrics());
    },
  },
];
