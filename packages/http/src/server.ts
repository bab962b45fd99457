/** The management HTTP server (node:http, no framework): status, queues, metrics, queue control, reload. */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { VmtaConfig } from '@vmta/config';
import { Cluster } from '@vmta/control';
import { createRedis } from '@vmta/queue';
import { pino, type Logger } from 'pino';
import type { ReloadResult, Route } from './route.js';
import { createHandler } from './router.js';
import { metricsRoutes } from './routes/metrics.js';
import { jobRoutes } from './routes/jobs.js';
import { queueRoutes } from './routes/queues.js';
import { sourceRoutes } from './routes/sources.js';
import { reloadRoutes } from './routes/reload.js';
import { statusRoutes } from './routes/status.js';
import { historyRoutes } from './routes/history.js';
import { vmtaRoutes } from './routes/vmtas.js';
import { monitorRoutes } from './routes/monitor.js';
import { whoamiRoutes } from './routes/whoami.js';
import { suppressionRoutes } from './routes/suppressions.js';
import { eventRoutes } from './routes/events.js';
import { reportRoutes } from './routes/reports.js';

export interface HttpManagementOptions {
  config: VmtaConfig;
  redisUrl: string;
  prefix?: string;
  logger?: Logger;
  /** Overrides `http-mgmt-port`; 0 picks a free port. */
  port?: number;
  /** Address to bind; default 0.0.0.0. */
  host?: string;
  /** Reloads the configuration; without it POST /reload answers 501. */
  onReload?: () => Promise<ReloadResult>;
}

export interface RunningHttpManagement {
  port: number;
  /** A reloaded configuration: GET /vmtas lists its VMTAs from now on. */
  reload(config: VmtaConfig): void;
  close(): Promise<void>;
}

const ROUTES: readonly Route[] = [...statusRoutes, ...queueRoutes, ...sourceRoutes, ...jobRoutes, ...metricsRoutes, ...reloadRoutes, ...whoamiRoutes, ...monitorRoutes, ...vmtaRoutes, ...historyRoutes, ...suppressionRoutes, ...eventRoutes, ...reportRoutes];

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function startHttpManagement(options: HttpManagementOptions): Promise<RunningHttpManagement> {
  const log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'http' });
  const settings = options.config.global.settings;
  const port = options.port ?? settings['http-mgmt-port'] ?? 0;
  const host = options.host ?? '0.0.0.0';
  // Fail fast: a scrape must not hang while Redis is away.
  const redis = createRedis(options.redisUrl, 'delivery', { maxRetriesPerRequest: 1, commandTimeout: 5000 });
  redis.on('error', (err) => log.debug({ event: 'redis-error', err: err.message }, 'redis connection error'));
  const cluster = new Cluster(redis, options.prefix);
  let config = options.config;
  const handler = createHandler(ROUTES, {
    cluster,
    log,
    version: packageVersion(),
    config: () => config,
    onReload: options.onReload,
  });
  const server = createServer((req, res) => void handler(req, res));
  // A client that sends its request and then shuts its side (`printf 'GET /status ...' | nc`, HTTP/1.0 scripts)
  // still gets the answer: without this, node ends the socket at the client's FIN and a route that awaits Redis
  // has nowhere to write. node:http's own switch (socketOnEnd), there since node 0.x, though undocumented.
  (server as typeof server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  const shutdown = async () => {
    await cluster.close().catch(() => undefined);
    redis.disconnect();
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await shutdown();
    throw err;
  }
  const bound = (server.address() as AddressInfo).port;
  log.info({ event: 'http-listening', host, port: bound }, `management HTTP on ${host}:${bound}`);
  return {
    port: bound,
    reload(next) {
      config = next;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await shutdown();
    },
  };
}
