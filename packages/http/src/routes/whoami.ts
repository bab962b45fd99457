/** GET /whoami (monitor): the caller's access level, so the web monitor shows only the buttons that will work. */
import { sendJson } from '../respond.js';
import { exact, type Route } from '../route.js';

export const whoamiRoutes: Route[] = [
  {
    method: 'GET',
    match: exact('/whoami'),
    level: 'monitor',
    async handle(_ctx, res, _params, client) {
      sendJson(res, 200, { level: client.level }, { 'cache-control': 'no-store' });
    },
  },
];
