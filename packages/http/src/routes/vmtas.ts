/** GET /vmtas (monitor): what `vmta show vmtas --json` prints: one row per VMTA and pool of this process's configuration. */
import { vmtaView } from '@vmta/control';
import { sendJson } from '../respond.js';
import { exact, type Route } from '../route.js';

export const vmtaRoutes: Route[] = [
  {
    method: 'GET',
    match: exact('/vmtas'),
    level: 'monitor',
    async handle(ctx, res) {
      sendJson(res, 200, await vmtaView(ctx.cluster, ctx.config()));
    },
  },
];
