/** `vmta start`: run the MTA roles of this process on a configuration. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkConfigFile, formatDiagnostic } from '@vmta/config';
import { newProcessId } from '@vmta/queue';
import { pino } from 'pino';
// Types only: the listener, delivery, management HTTP, dev-certs and the embedded redis-server are imported
// where they start (below), so a process loads only the code of the roles it runs (a listener holds no
// delivery code, a delivery process no SMTP server).
import type { ListenerPrimary, RunningListener } from '@vmta/listener';
import type { RunningHttpManagement } from '@vmta/http';
import type { RunningAccounting, RunningDelivery, RunningWebhooks } from '@vmta/delivery';
import { configPath } from '../config-path.js';
import { registerThisProcess, type Registered } from '../process-registration.js';
import { watchReload } from '../reload.js';
import { EMBEDDED_URL_FILE } from '../redis-target.js';
import { EXIT } from '../exit-codes.js';
import { redisUrlProblem } from '../redis-url-check.js';
import { lowerPriority, NICE_MAX, parseNice } from '../priority.js';
import { forkListenerChild, parseListenerProcesses } from '../listener-cluster.js';
import os from 'node:os';

const ROLES = ['all', 'listener', 'delivery'] as const;
/** Default bound of a SIGTERM/SIGINT shutdown (listener drain 10 s, then the deliveries on the wire); --shutdown-timeout. */
const SHUTDOWN_BOUND_MS = 60_000;
type Role = (typeof ROLES)[number];
/** nice of a --role delivery process unless --nice says otherwise: listeners and Redis get the CPU first. */
const DELIVERY_NICE = 19;

/**
 * Where this process serves management HTTP: `--http off|PORT|ADDRESS:PORT` (per process, so several
 * processes on one host need not fight for http-mgmt-port), else `http-mgmt-port` on every address;
 * undefined when off.
 */
export function httpBinding(option: string | undefined, configuredPort: number): { host: string; port: number } | undefined {
  if (option === undefined) return configuredPort > 0 ? { host: '0.0.0.0', port: configuredPort } : undefined;
  if (option === 'off') return undefined;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]:|([0-9.]+|localhost):)?(\d{1,5})$/.exec(option);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port < 1 || port > 65535) throw new UsageError('--http must be off, PORT or ADDRESS:PORT (e.g. 127.0.0.1:8081)');
  return { host: m[1] ?? m[2] ?? '0.0.0.0', port };
}

class UsageError extends Error {}

export async function startCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        role: { type: 'string', default: 'all' },
        'dev-certs': { type: 'boolean', default: false },
        'data-dir': { type: 'string', default: 'data' },
        'shutdown-timeout': { type: 'string', default: String(SHUTDOWN_BOUND_MS / 1000) },
        concurrency: { type: 'string' },
        nice: { type: 'string' },
        http: { type: 'string' },
        'listener-processes': { type: 'string' },
      },
    });
  } catch (err) {
    process.stderr.write(`vmta start: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  const role = parsed.values.role as Role;
  const concurrency = parsed.values.concurrency === undefined ? undefined : Number(parsed.values.concurrency);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0)) {
    process.stderr.write('vmta start: --concurrency must be a positive whole number\n');
    return EXIT.usage;
  }
  const nice = parsed.values.nice === undefined ? (role === 'delivery' ? DELIVERY_NICE : 0) : parseNice(parsed.values.nice);
  if (nice === undefined) {
    process.stderr.write(`vmta start: --nice must be a whole number from 0 to ${NICE_MAX}\n`);
    return EXIT.usage;
  }
  const listenerProcesses = parseListenerProcesses(parsed.values['listener-processes'] ?? process.env.VMTA_LISTENER_PROCESSES ?? '1', os.availableParallelism());
  if (listenerProcesses === undefined) {
    process.stderr.write('vmta start: --listener-processes (VMTA_LISTENER_PROCESSES) must be auto or a whole number from 1 to 64\n');
    return EXIT.usage;
  }
  const shutdownMs = Number(parsed.values['shutdown-timeout']) * 1000;
  if (!Number.isFinite(shutdownMs) || shutdownMs <= 0) {
    process.stderr.write('vmta start: --shutdown-timeout must be a positive number of seconds\n');
    return EXIT.usage;
  }
  try {
    httpBinding(parsed.values.http, 0);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`vmta start: ${err.message}\n`);
    return EXIT.usage;
  }
  if (!ROLES.includes(role)) {
    process.stderr.write(`vmta start: --role must be one of ${ROLES.join(', ')}\n`);
    return EXIT.usage;
  }
  // Asynchronous writes: a synchronous write per log line cost about a tenth of delivery's CPU. Lines still
  // go out in order, and a normal exit (SIGTERM, SIGINT) waits for them. Lines are gathered up to 4 KB or
  // 100 ms per write (one write per line was ~3 % of the listener); a kill -9 can lose those 100 ms.
  const logDestination = pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 });
  const rootLog = pino({ base: { pid: process.pid } }, logDestination);
  const log = rootLog.child({ component: 'main' });
  const threads = nice > 0 ? lowerPriority(nice) : 0;
  if (threads > 0) log.info({ event: 'priority', nice, threads }, 'CPU priority lowered');
  const file = configPath(parsed.values.config);
  const checked = checkConfigFile(file);
  for (const w of checked.warnings) log.warn({ event: 'config-warning' }, formatDiagnostic(w));
  if (!checked.config) {
    for (const e of checked.errors) log.error({ event: 'config-error' }, formatDiagnostic(e));
    return EXIT.configInvalid;
  }
  const config = checked.config;
  if (parsed.values['dev-certs']) {
    const { ensureDevCertificates } = await import('../dev-certs.js');
    for (const f of await ensureDevCertificates(config, process.cwd())) {
      log.warn({ event: 'dev-certificate', file: f }, 'generated a self-signed development certificate');
    }
  }
  const givenUrl = process.env.REDIS_URL;
  let redisUrl = givenUrl;
  const urlProblem = redisUrlProblem(givenUrl, config);
  if (urlProblem) {
    log.error({ event: 'redis-url-invalid', err: urlProblem }, 'REDIS_URL cannot be used');
    logDestination.flushSync();
    process.stderr.write(`vmta start: ${urlProblem}\n`);
    return EXIT.usage;
  }
  let stopRedis: (() => Promise<void>) | undefined;
  if (!redisUrl) {
    const dir = path.resolve(parsed.values['data-dir']!, 'redis');
    mkdirSync(dir, { recursive: true });
    const { startRedisServer } = await import('@vmta/redis-server');
    const server = await startRedisServer({ dir, appendOnly: true, appendFsync: 'always', logger: log });
    redisUrl = server.url;
    stopRedis = () => server.stop();
    writeFileSync(path.resolve(parsed.values['data-dir']!, EMBEDDED_URL_FILE), `${redisUrl}\n`);
    log.info({ event: 'embedded-redis', url: redisUrl, dir, redisPid: server.pid }, 'no REDIS_URL set: started a private redis-server (AOF on) for this process');
  }
  // Signals are taken from here on, so a SIGTERM during startup still shuts down cleanly.
  const stopSignal = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  let listener: RunningListener | ListenerPrimary | undefined;
  if (role === 'all' || role === 'listener') {
    let listenerCode: typeof import('@vmta/listener') | undefined;
    try {
      // Inside the try: an install that cannot load it is logged and stops the embedded Redis like any failed start.
      listenerCode = await import('@vmta/listener');
      // More than one listener process: this one owns the sockets and hands connections to its children.
      const url = redisUrl;
      listener =
        listenerProcesses > 1
          ? await listenerCode.startListenerPrimary({
              config,
              processes: listenerProcesses,
              logger: rootLog,
              closeBoundMs: shutdownMs,
              fork: (slot) => forkListenerChild({ file: path.resolve(file), redisUrl: url, prefix: process.env.VMTA_PREFIX, slot, inject: slot === 0 }),
            })
          : await listenerCode.startListener({ config, redisUrl, logger: rootLog, prefix: process.env.VMTA_PREFIX });
    } catch (err) {
      const listenerError = listenerCode !== undefined && err instanceof listenerCode.ListenerStartError;
      log.error({ event: 'listener-start-failed', code: (err as { code?: string }).code, err: (err as Error).message }, 'cannot start the listener');
      await stopRedis?.();
      return listenerError ? EXIT.configInvalid : EXIT.software;
    }
  }
  let delivery: RunningDelivery | undefined;
  let registered: Registered | undefined;
  const processId = newProcessId();
  let accounting: RunningAccounting | undefined;
  let webhooks: RunningWebhooks | undefined;
  if (role === 'all' || role === 'delivery') {
    // Token runs record this process as their slot holder; its heartbeat (registered below) keeps the slots.
    const holder = { processId, lastBeatAt: () => registered?.lastBeatAt() };
    const { startAccounting, startDelivery, startWebhooks } = await import('@vmta/delivery');
    delivery = await startDelivery({ config, redisUrl, logger: rootLog, prefix: process.env.VMTA_PREFIX, holder, ...(concurrency ? { concurrency } : {}) });
    if (config.acctFiles.length > 0) accounting = await startAccounting({ config, redisUrl, logger: rootLog, prefix: process.env.VMTA_PREFIX });
    webhooks = await startWebhooks({ config, redisUrl, logger: rootLog, prefix: process.env.VMTA_PREFIX });
  }
  let reloadHook: () => Promise<{ ok: boolean; errors?: string[] }> = async () => ({ ok: false, errors: ['still starting'] });
  let http: RunningHttpManagement | undefined;
  const httpAt = httpBinding(parsed.values.http, config.global.settings['http-mgmt-port'] ?? 0);
  if (httpAt) {
    const { startHttpManagement } = await import('@vmta/http');
    try {
      http = await startHttpManagement({ config, redisUrl, logger: rootLog, prefix: process.env.VMTA_PREFIX, port: httpAt.port, host: httpAt.host, onReload: () => reloadHook() });
    } catch (err) {
      // The management port is optional: the MTA runs on without it, and the log says how to fix it.
      const taken = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
      const fix = taken
        ? `port ${httpAt.port} is taken (another vmta process on this host?): start this process with --http off, or --http PORT for a port of its own`
        : `give this process --http off, or --http [ADDRESS:]PORT`;
      log.error({ event: 'http-start-failed', host: httpAt.host, port: httpAt.port, err: (err as Error).message, fix }, `management HTTP not started: ${fix}`);
    }
  }
  const watch = await watchReload({
    file,
    redisUrl,
    prefix: process.env.VMTA_PREFIX,
    log,
    // As at the start: the REDIS_URL as given (undefined: the embedded server) with the new file.
    check: (next) => redisUrlProblem(givenUrl, next),
    apply: async (next) => {
      await listener?.reload(next);
      delivery?.reload(next);
      accounting?.reload(next);
      webhooks?.reload(next);
      http?.reload(next);
      await registered?.update(serves());
    },
  });
  reloadHook = watch.reload;
  const serves = () => ({
    vmtas: delivery?.servedVmtas ?? [],
    listeners: (listener?.addresses ?? []).map((l) => (l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`)),
  });
  registered = await registerThisProcess(redisUrl, role, serves(), log, processId, path.resolve(file));
  log.info({ event: 'started', role, config: file, redis: redisUrl, listeners: listener?.addresses, ...(listener && 'childPids' in listener ? { listenerProcesses, listenerChildPids: listener.childPids } : {}), httpPort: http?.port, processId: registered?.id }, 'vmta started');
  const signal = await stopSignal;
  log.info({ event: 'stopping', signal }, 'stopping');
  // The bound of the whole shutdown: past it (a remote that does not answer, Redis gone) the process
  // leaves anyway; mail it still held comes back to the queue through stalled-token recovery.
  const bound = setTimeout(() => {
    log.error({ event: 'shutdown-bound', ms: shutdownMs }, 'shutdown took too long: exiting now');
    logDestination.flushSync();
    process.exit(EXIT.software);
  }, shutdownMs);
  bound.unref();
  // First leave the process list, so `vmta show status` stops counting on this process while it drains.
  await registered?.close();
  await watch.close();
  // The listener's drain and delivery's hand-back run side by side: the shutdown bound is the longer of the two.
  await Promise.all([http?.close(), listener?.close(), delivery?.close()]);
  await accounting?.close();
  await webhooks?.close();
  await stopRedis?.();
  return EXIT.ok;
}
