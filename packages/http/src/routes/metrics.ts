/** GET /metrics (monitor): Prometheus text format, collected from Redis on each scrape. */
import { clusterTotals, disabledSourceRows, eventStreamState, queueRows, reportCounts, suppressCounts } from '@vmta/control';
import { ConnectionLimiter, latencyHistograms, ReportStore } from '@vmta/queue';
import { latencyText, metricsRegistry } from '../metrics.js';
import { sendText } from '../respond.js';
import { exact, type HttpContext, type Route } from '../route.js';

/** Live connection leases of every VMTA of the configuration (and the default VMTA). */
async function connectionsOut(ctx: HttpContext): Promise<Map<string, number>> {
  const limiter = new ConnectionLimiter(ctx.cluster.redis, ctx.cluster.keys.prefix);
  const names = ['{default}', ...Object.values(ctx.config().vmtas).map((v) => v.name)];
  const counts = await Promise.all(names.map((vmta) => limiter.count({ kind: 'vmta', vmta })));
  return new Map(names.map((n, i) => [n, counts[i]!]));
}

export const metricsRoutes: Route[] = [
  {
    method: 'GET',
    match: exact('/metrics'),
    level: 'monitor',
    async handle(ctx, res) {
      const [rows, totals, connections, latency, disabledSources, reports, events, suppressions, unparsedKept] = await Promise.all([
        queueRows(ctx.cluster),
        clusterTotals(ctx.cluster),
        connectionsOut(ctx),
        latencyHistograms(ctx.cluster.redis, ctx.cluster.keys),
        disabledSourceRows(ctx.cluster),
        reportCounts(ctx.cluster),
        eventStreamState(ctx.cluster),
        suppressCounts(ctx.cluster),
        new ReportStore(ctx.cluster.redis, ctx.cluster.keys.prefix).unparsedCount(),
      ]);
      const registry = metricsRegistry({ rows, totals, connectionsOut: connections, disabledSources, reports, events, suppressions, unparsedKept });
      sendText(res, 200, registry.contentType, `${await registry.metrics()}\n${latencyText(latency)}`);
    },
  },
];
