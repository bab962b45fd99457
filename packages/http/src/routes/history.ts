/** GET /history?minutes=N (monitor): per-minute counters of the cluster, oldest first; the last minute is the current one. */
import { clusterHistory } from '@vmta/control';
import { queryCount } from '../query-count.js';
import { sendJson } from '../respond.js';
import { exact, type Route } from '../route.js';

/** `?minutes=`: 60 by default, at most a day (what the per-minute counters keep). */
export const HISTORY_MINUTES = { min: 1, max: 1440, default: 60 };

export const historyRoutes: Route[] = [
  {
    method: 'GET',
    match: exact('/history'),
    level: 'monitor',
    async handle(ctx, res, _params, client) {
      const minutes = queryCount(client.query, 'minutes', HISTORY_MINUTES);
      const history = await clusterHistory(ctx.cluster, minutes);
      sendJson(res, 200, { minutes: history.map(({ t, ...counts }) => ({ t: new Date(t).toISOString(), ...counts })) });
    },
  },
];
