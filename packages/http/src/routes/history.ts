/** GET /history?minutes=N (monitor): per-minute counters of the cluster, oldest first; the last minute is the current one. */
import { clusterHistory } from '@vmta/control';
import { sendJson } from '../respond.js';
import { exact, type Route } from '../route.js';

export const DEFAULT_HISTORY_MINUTES = 60;
/** A day: what the per-minute counters keep. */
export const MAX_HISTORY_MINUTES = 1440;

/** `?minutes=` → a whole number in 1..MAX, the default when absent; undefined when it is not a number. Pure. */
export function historyMinutes(raw: string | null): number | undefined {
  if (raw === null || raw === '') return DEFAULT_HISTORY_MINUTES;
  if (!/^\d+$/.test(raw)) return undefined;
  return Math.min(MAX_HISTORY_MINUTES, Math.max(1, Number(raw)));
}

export const historyRoutes: Route[] = [
  {
    method: 'GET',
    match: exact('/history'),
    level: 'monitor',
    async handle(ctx, res, _params, client) {
      const minutes = historyMinutes(client.query.get('minutes'));
      if (minutes === undefined) {
        sendJson(res, 400, { error: 'bad-minutes', message: `minutes must be a whole number from 1 to ${MAX_HISTORY_MINUTES}` });
        return;
      }
      const history = await clusterHistory(ctx.cluster, minutes);
      sendJson(res, 200, { minutes: history.map(({ t, ...counts }) => ({ t: new Date(t).toISOString(), ...counts })) });
    },
  },
];
