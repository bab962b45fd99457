/** Request → route: access check, 404 for an unknown path, 405 for a known path with another method. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpAccess } from '@vmta/config';
import { accessLevel, allows } from './access.js';
import { sendJson } from './respond.js';
import type { HttpContext, Route } from './route.js';

export function createHandler(routes: readonly Route[], rules: readonly HttpAccess[], ctx: HttpContext) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    req.resume(); // no route reads a body
    const ip = req.socket.remoteAddress ?? '';
    const path = (req.url ?? '/').split('?')[0]!;
    const level = accessLevel(rules, ip);
    const deny = () => {
      // `accessLevel`, not `level`: pino's own `level` key would be duplicated in the JSON line.
      ctx.log.warn({ event: 'http-denied', ip, path, accessLevel: level }, 'http request denied');
      sendJson(res, 403, { error: 'forbidden' });
    };
    // A client without access learns nothing, not even which paths exist.
    if (level === 'none') return deny();
    const matching = routes.flatMap((route) => {
      const params = route.match(path);
      return params ? [{ route, params }] : [];
    });
    if (matching.length === 0) return sendJson(res, 404, { error: 'not-found' });
    const hit = matching.find((m) => m.route.method === req.method);
    if (!hit) return sendJson(res, 405, { error: 'method-not-allowed' }, { allow: [...new Set(matching.map((m) => m.route.method))].join(', ') });
    if (!allows(level, hit.route.level)) return deny();
    try {
      await hit.route.handle(ctx, res, hit.params, { ip, level, query: new URLSearchParams((req.url ?? '/').slice(path.length + 1)) });
    } catch (err) {
      ctx.log.error({ event: 'http-error', path, err: (err as Error).message }, 'http request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal' });
      else res.destroy();
    }
  };
}
