/** GET /vmtas (monitor): what `vmta show vmtas --json` prints: one row per VMTA and pool of this process's configuration. */
import { listProcesses, vmtaDefinitions, vmtaRows } from '@vmta/queue';
import { sendJson } from '../respond.js';
import { exact, type Route } from '../route.js';

export const vmtaRoutes: Route[] = [
  {
    method: 'GET',
    match: exact('/vmtas'),
    level: 'monitor',
    async handle(ctx, res) {
      const now = Date.now();
      const processes = await listProcesses(ctx.redis, ctx.keys, { now });
      sendJson(res, 200, await vmtaRows(ctx.redis, ctx.keys, ctx.ops, vmtaDefinitions(ctx.config()), processes, now));
    },
  },
];
