/** POST /reload (admin): asks the process to reload its configuration. */
import { sendJson } from '../respond.js';
import { exact, type Route } from '../route.js';

export const reloadRoutes: Route[] = [
  {
    method: 'POST',
    match: exact('/reload'),
    level: 'admin',
    async handle(ctx, res) {
      if (!ctx.onReload) {
        sendJson(res, 501, { error: 'not-supported', message: 'this process cannot reload its configuration' });
        return;
      }
      const result = await ctx.onReload();
      ctx.log.info({ event: 'http-reload', ok: result.ok, errors: result.errors?.length ?? 0 }, 'reload requested');
      if (result.ok) sendJson(res, 200, { ok: true });
      else sendJson(res, 409, { ok: false, errors: result.errors ?? [] });
    },
  },
];
