/**
 * Request → route: the request guard (Host, CSRF, API key), the access check, 404 for an unknown path,
 * 405 for a known path with another method. `http-access` and `http-api-key` are read from the current
 * configuration on every request, so a reload that removes a rule takes effect at once.
 */
import os from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpAccessLevel } from '@vmta/config';
import { accessLevel, allows } from './access.js';
import { QueryCountError } from './errors.js';
import { CSRF_HEADER, guardRequest } from './request-guard.js';
import { readTarget } from './request-target.js';
import { sendJson } from './respond.js';
import type { HttpContext, Route } from './route.js';

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const higher = (a: HttpAccessLevel, b: HttpAccessLevel | undefined): HttpAccessLevel => (b !== undefined && allows(b, a) ? b : a);

export function createHandler(routes: readonly Route[], ctx: HttpContext) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    req.resume(); // no route reads a body
    const ip = req.socket.remoteAddress ?? '';
    const target = readTarget(req.url ?? '/');
    if (!target) return sendJson(res, 400, { error: 'bad-target', reason: 'the request target is neither /path nor http://host/path' });
    const path = target.path;
    const settings = ctx.config().global.settings;
    const hostName = settings['host-name'];
    const verdict = guardRequest(
      {
        method: req.method ?? 'GET',
        host: header(req, 'host'),
        hostFields: req.headersDistinct['host']?.length ?? 0,
        ...(target.authority !== undefined ? { authority: target.authority } : {}),
        origin: header(req, 'origin'),
        secFetchSite: header(req, 'sec-fetch-site'),
        authorization: header(req, 'authorization'),
        csrfHeader: header(req, CSRF_HEADER) !== undefined,
      },
      { hostNames: new Set([os.hostname().toLowerCase(), ...(hostName ? [hostName.toLowerCase()] : [])]), apiKeys: settings['http-api-key'] ?? [] },
    );
    if (!verdict.ok) {
      ctx.log.warn({ event: 'http-refused', ip, path, error: verdict.error, reason: verdict.reason }, 'http request refused');
      return sendJson(res, verdict.status, { error: verdict.error, reason: verdict.reason });
    }
    const level = higher(accessLevel(settings['http-access'] ?? [], ip), verdict.keyLevel);
    const deny = () => {
      // `accessLevel`, not `level`: pino's own `level` key would be duplicated in the JSON line.
      ctx.log.warn({ event: 'http-denied', ip, path, accessLevel: level }, 'http request denied');
      sendJson(res, 403, { error: 'forbidden' });
    };
    // A client without access learns nothing, not even which paths exist.
    if (level === 'none') return deny();
    // `OPTIONS *` asks about the server as a whole; we answer no CORS preflight, so OPTIONS is never allowed.
    if (path === '*') return req.method === 'OPTIONS' ? sendJson(res, 405, { error: 'method-not-allowed' }, { allow: 'GET, HEAD, POST' }) : sendJson(res, 400, { error: 'bad-target', reason: '* is only for OPTIONS' });
    const matching = routes.flatMap((route) => {
      const params = route.match(path);
      return params ? [{ route, params }] : [];
    });
    if (matching.length === 0) return sendJson(res, 404, { error: 'not-found' });
    // HEAD is GET without the body (RFC 9110 §9.3.2; node's response drops the body itself): uptime checks use it.
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const hit = matching.find((m) => m.route.method === method);
    if (!hit) {
      const allowed = new Set<string>(matching.map((m) => m.route.method));
      if (allowed.has('GET')) allowed.add('HEAD');
      return sendJson(res, 405, { error: 'method-not-allowed' }, { allow: [...allowed].join(', ') });
    }
    if (!allows(level, hit.route.level)) return deny();
    try {
      await hit.route.handle(ctx, res, hit.params, { ip, level, query: new URLSearchParams(target.query), head: req.method === 'HEAD' });
    } catch (err) {
      if (err instanceof QueryCountError && !res.headersSent) return sendJson(res, 400, { error: 'bad-request', message: err.message });
      ctx.log.error({ event: 'http-error', path, err: (err as Error).message }, 'http request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal' });
      else res.destroy();
    }
  };
}
