/**
 * GET /disabled-sources (monitor): the rows of `vmta show disabled-sources --json`;
 * POST /sources/IP/disable|enable[?queue=DOMAIN%2FVMTA] (operator): take a source IP out of use for
 * a queue (no queue: every queue) or put it back, like `vmta disable|enable source`.
 */
import { disabledSourceRows, disableSource, enableSource, SourceArgumentError } from '@vmta/control';
import { sendJson } from '../respond.js';
import { exact, type Route } from '../route.js';

const CHANGE_PATH = /^\/sources\/([^/]+)\/(disable|enable)$/;

export const sourceRoutes: Route[] = [
  {
    method: 'GET',
    match: exact('/disabled-sources'),
    level: 'monitor',
    async handle(ctx, res) {
      sendJson(res, 200, await disabledSourceRows(ctx.cluster));
    },
  },
  {
    method: 'POST',
    match: (path) => {
      const m = CHANGE_PATH.exec(path);
      return m ? [m[1]!, m[2]!] : undefined;
    },
    level: 'operator',
    async handle(ctx, res, [ip, change], client) {
      const queue = client.query.get('queue') ?? undefined;
      try {
        const o = { log: ctx.log, config: ctx.config() };
        const r = change === 'disable' ? await disableSource(ctx.cluster, decodeURIComponent(ip!), queue, o) : await enableSource(ctx.cluster, decodeURIComponent(ip!), queue, o);
        sendJson(res, 200, r);
      } catch (err) {
        if (!(err instanceof SourceArgumentError || err instanceof URIError)) throw err;
        sendJson(res, 400, { error: 'bad-source', message: `${err.message}; expected /sources/IP/disable|enable[?queue=DOMAIN%2FVMTA]` });
      }
    },
  },
];
