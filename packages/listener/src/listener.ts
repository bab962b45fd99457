/**
 * startListener: binds every configured listener address (smtp-listener lines and <smtp-listener> stanzas,
 * merged by @vmta/config), each with its own smtp-server, and queues accepted mail in Redis.
 * reload() applies a new configuration without dropping sessions (listener-set.ts says what is rebound);
 * close() is the graceful shutdown (bound-server.ts: 421 to new sessions, in-flight messages finish).
 */
import { bounceAfterLookup, eventStreamWanted, type ListenerConfig, type VmtaConfig } from '@vmta/config';
import { createRedis, effectiveBodyCompression, Keys, MessageStore, parseRedisUrl, RateCounter, ReportStore, SuppressionStore, waitPolicy, ZstdReaders } from '@vmta/queue';
import { pino, type Logger } from 'pino';
import { BoundServer, type BoundListener, type DrainCounts } from './bound-server.js';
import { ListenerStartError } from './errors.js';
import { DEFAULT_LIMITS, ListenerRuntime, type ListenerLimits } from './listener-runtime.js';
import { planListeners, socketOf } from './listener-set.js';
import { loadTlsCertificate, type TlsCredentials } from './tls-certificate.js';
// The injection API is imported where it is started (http-inject-port set): its code and MailComposer stay out of other listeners.
import type { InjectServerOptions, RunningInjectServer } from './inject/inject-server.js';
import { HandedSockets } from './cluster/handed-sockets.js';
import type { HandedCounts } from './cluster/connection-book.js';
import type { Socket } from 'node:net';

export type { BoundListener } from './bound-server.js';

export interface StartListenerOptions {
  config: VmtaConfig;
  redisUrl: string;
  /** Redis key prefix (without a trailing ':'); default "vmta". */
  prefix?: string;
  logger?: Logger;
  limits?: Partial<ListenerLimits>;
  /** Base for relative certificate paths; default the process cwd. */
  cwd?: string;
  /** Serves the HTTP injection API here, whatever `http-inject-port` says (port 0: a free port); false: not at all. */
  inject?: InjectServerOptions | false;
  /**
   * A child of a multi-process listener (cluster/child.ts): nothing is bound, connections come in through
   * adopt() with the counts of the whole listener.
   */
  adopt?: boolean;
}

export interface ListenerReloadResult {
  added: BoundListener[];
  removed: BoundListener[];
  unchanged: BoundListener[];
  /** Listeners of the new configuration that could not be bound or whose certificate could not be loaded. */
  failed: Array<{ name: string; error: string }>;
}

export interface RunningListener {
  /** What is bound now, in the order of the configuration. */
  readonly addresses: BoundListener[];
  /**
   * Takes a new configuration: policy for new sessions and transactions, listeners added, removed (their
   * sessions run on) or kept (same socket, new certificate). A listener that cannot be bound is reported
   * and logged; everything else keeps running.
   */
  reload(config: VmtaConfig): Promise<ListenerReloadResult>;
  /** The HTTP injection API's port, when it is served (`http-inject-port`). */
  readonly injectPort: number | undefined;
  /**
   * Serves a connection the primary of a multi-process listener accepted on the listener of this identity
   * (listenerIdentity), with the listener's counts before it; `closed` is called once when its session or
   * socket ends. False when no listener has that identity.
   */
  adopt(identity: string, socket: Socket, counts: HandedCounts, closed: () => void): boolean;
  /** Graceful shutdown: 421 to new sessions, sessions finish what they do (up to closeTimeoutMs), then closes Redis. */
  close(): Promise<void>;
}

export async function startListener(options: StartListenerOptions): Promise<RunningListener> {
  const rootLog = options.logger ?? pino({ level: 'silent' });
  const log = rootLog.child({ component: 'listener' });
  const cwd = options.cwd ?? process.cwd();
  const credentials = (l: ListenerConfig): TlsCredentials | undefined => {
    if (!l.tlsCertificate && l.immediateTls) throw new ListenerStartError(`listener ${l.name} has immediate-tls but no TLS certificate`);
    return l.tlsCertificate ? loadTlsCertificate(l.tlsCertificate, cwd) : undefined;
  };
  const tlsAtStart = options.config.listeners.map(credentials);

  // WAIT before 250 (REDIS_URL's wait-* parameters, else redis-wait-replicas and redis-wait-timeout,
  // else on for a Sentinel set): checked here, before any connection, and asked at each enqueue.
  const target = parseRedisUrl(options.redisUrl);
  const waitOf = (config: VmtaConfig) => {
    const g = config.global.settings;
    return waitPolicy(target, { replicas: g['redis-wait-replicas'] ?? undefined, timeoutMs: g['redis-wait-timeout'] ?? undefined });
  };
  waitOf(options.config);
  const redis = createRedis(options.redisUrl, 'listener');
  let redisDown = false;
  redis.on('error', (err: Error) => {
    if (!redisDown) log.warn({ event: 'redis-error', err: err.message }, 'Redis connection error');
    redisDown = true;
  });
  redis.on('ready', () => {
    if (redisDown) log.info({ event: 'redis-ready' }, 'Redis is back');
    redisDown = false;
  });
  const prefix = options.prefix ?? 'vmta';
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  // `r` records only when an <acct-file> will read them; otherwise the stream would only fill Redis.
  // WAIT before 250: see MessageStore; a reload of the redis-wait-* directives applies to the next message.
  const bounceAfter = bounceAfterLookup(() => rt.config);
  // body-compression (default zstd): a reload applies to the next message; zstd only while every
  // delivery process alive reads it (zstd-readers.ts), deflate meanwhile.
  const wantedCompression = () => rt.config.global.settings['body-compression'] ?? 'zstd';
  const zstdReaders = new ZstdReaders(redis, new Keys(prefix), {
    onChange: (view) => {
      if (wantedCompression() !== 'zstd') return;
      if (view.allowed) log.info({ event: 'body-compression-zstd' }, 'every delivery process reads zstd: bodies are stored as zstd');
      else log.warn({ event: 'body-compression-zstd-held', notReading: view.notReading }, view.notReading.length > 0 ? 'delivery processes that do not read zstd are alive: bodies are stored as deflate' : 'no delivery process is alive to say it reads zstd: bodies are stored as deflate');
    },
  });
  const store = new MessageStore(redis, {
    prefix,
    bodyCompression: () => effectiveBodyCompression(wantedCompression(), zstdReaders.allowed),
    wait: () => waitOf(rt.config),
    accounting: () => eventStreamWanted(rt.config),
    bounceAfter: (ref) => bounceAfter(ref.domain, ref.vmta),
  });
  const rt: ListenerRuntime = new ListenerRuntime(options.config, store, new RateCounter(redis, prefix), log, limits, rootLog);
  rt.suppressions = new SuppressionStore(redis, prefix);
  rt.reports = new ReportStore(redis, prefix);
  if (options.adopt) rt.handed = new HandedSockets();
  await rt.addressLists.setConfig(options.config);
  // The first clients should not meet a connection still being opened (no offline queue: their
  // commands would fail, a 451 or an AUTH refused as "cannot count"). A Redis that is down does
  // not hold the start up for long: the listener answers 451 until it is back.
  await redisReady(redis, REDIS_READY_WAIT_MS);
  // The first messages already follow the process list (a Redis still away: deflate until it is back).
  zstdReaders.start();
  await zstdReaders.refresh().catch(() => undefined);

  let active: BoundServer[] = [];
  let inject: RunningInjectServer | undefined;
  /** Listeners removed by a reload whose sessions are still running. */
  const retiring = new Set<BoundServer>();
  try {
    for (const [i, l] of options.config.listeners.entries()) {
      const bs = new BoundServer(rt, l, tlsAtStart[i], log);
      active.push(bs);
      const bound = await bs.listen();
      // A child of a multi-process listener binds nothing: its primary logs `listening`.
      if (!options.adopt) log.info({ event: 'listening', listener: l.name, address: bound.address, port: bound.port, immediateTls: l.immediateTls }, 'listening');
    }
    const injectPort = options.config.global.settings['http-inject-port'];
    const injectAt = options.inject === false ? undefined : options.inject ?? (typeof injectPort === 'number' && injectPort > 0 ? { port: injectPort } : undefined);
    if (injectAt) inject = await (await import('./inject/inject-server.js')).startInjectServer(rt, injectAt);
  } catch (err) {
    active.forEach((bs) => bs.destroy());
    zstdReaders.stop();
    redis.disconnect();
    rt.addressLists.close();
    throw err;
  }

  const retire = (bs: BoundServer) => {
    const address = bs.address;
    retiring.add(bs);
    log.info({ event: 'listener-removed', ...address, sessions: bs.sessionCount }, 'listener removed: no new connections, sessions in progress go on');
    void bs.retire(limits.closeTimeoutMs, limits.closeTimeoutMs).then((counts) => {
      retiring.delete(bs);
      log.info({ event: 'listener-retired', ...address, ...counts }, 'last session of a removed listener ended');
    });
  };

  const applyReload = async (config: VmtaConfig): Promise<ListenerReloadResult> => {
    const result: ListenerReloadResult = { added: [], removed: [], unchanged: [], failed: [] };
    const fail = (l: ListenerConfig, err: unknown, event: string, msg: string) => {
      const error = (err as Error).message;
      result.failed.push({ name: l.name, error });
      log.error({ event, listener: l.name, address: l.address.address, port: l.address.port, err: error }, msg);
    };
    const plan = planListeners(active, config.listeners);
    rt.setConfig(config);

    const next = new Map<ListenerConfig, BoundServer>();
    for (const { current, next: l } of plan.keep) {
      let tls: TlsCredentials | undefined;
      try {
        tls = credentials(l);
      } catch (err) {
        fail(l, err, 'tls-reload-failed', 'cannot load the new TLS certificate: the listener keeps the previous one');
      }
      current.update(l, tls);
      next.set(l, current);
      result.unchanged.push(current.address);
      log.debug({ event: 'listener-unchanged', ...current.address }, 'listener unchanged');
    }
    // Certificates first: a listener that replaces another on the same socket but cannot get its
    // certificate leaves the old one running rather than nothing.
    const prepared: Array<{ l: ListenerConfig; tls: TlsCredentials | undefined }> = [];
    const keepOld = new Set<string>();
    for (const l of plan.add) {
      try {
        prepared.push({ l, tls: credentials(l) });
      } catch (err) {
        keepOld.add(socketOf(l));
        fail(l, err, 'listen-failed', 'cannot start a listener of the new configuration');
      }
    }
    const stay: BoundServer[] = [];
    // Removed listeners stop accepting before new ones bind: a changed listener reuses the address:port.
    for (const bs of plan.remove) {
      if (keepOld.has(socketOf(bs.listener))) {
        stay.push(bs);
        continue;
      }
      result.removed.push(bs.address);
      retire(bs);
    }
    for (const { l, tls } of prepared) {
      const bs = new BoundServer(rt, l, tls, log);
      try {
        const bound = await bs.listen();
        next.set(l, bs);
        result.added.push(bound);
        log.info({ event: 'listener-added', listener: l.name, address: bound.address, port: bound.port, immediateTls: l.immediateTls }, 'listener added');
      } catch (err) {
        bs.destroy();
        fail(l, err, 'listen-failed', 'cannot listen on a listener of the new configuration');
      }
    }
    active = [...config.listeners.flatMap((l) => next.get(l) ?? []), ...stay];
    log.info(
      { event: 'reloaded', added: result.added.length, removed: result.removed.length, unchanged: result.unchanged.length, failed: result.failed.length },
      'configuration reloaded',
    );
    return result;
  };

  // Reloads (SIGHUP and the control channel may race) and the shutdown run one after the other.
  let queue: Promise<unknown> = Promise.resolve();
  let closing: Promise<void> | undefined;

  return {
    get addresses() {
      return active.map((bs) => bs.address);
    },
    get injectPort() {
      return inject?.port;
    },
    adopt(identity, socket, counts, closed) {
      const bs = active.find((b) => b.identity === identity) ?? [...retiring].find((b) => b.identity === identity);
      if (!bs) return false;
      rt.handed?.put(socket, counts, closed);
      bs.adopt(socket);
      return true;
    },
    reload(config) {
      // Refused whole, before anything changes: a WAIT policy that cannot be used (RedisUrlError,
      // e.g. replicas with the URL's wait-timeout=0) would otherwise answer 451 to every message.
      try {
        waitOf(config);
      } catch (err) {
        log.error({ event: 'reload-refused', code: (err as { code?: string }).code, err: (err as Error).message }, 'reload refused: the listener keeps its configuration');
        return Promise.reject(err);
      }
      const run = queue.then(() => (closing ? { added: [], removed: [], unchanged: [], failed: [] } : applyReload(config)));
      queue = run.catch(() => undefined);
      return run;
    },
    close() {
      closing ??= (async () => {
        await queue;
        const all = [...active, ...retiring];
        const sessions = all.reduce((n, bs) => n + bs.sessionCount, 0);
        log.info({ event: 'shutdown-started', sessions, listeners: active.length, closeTimeoutMs: limits.closeTimeoutMs }, 'shutting down: new sessions get 421');
        // Injection requests in progress finish (server.close waits for them); new ones are refused.
        const [counts] = await Promise.all([Promise.all(all.map((bs) => bs.drain(limits.closeTimeoutMs))), inject?.close()]);
        all.forEach((bs) => bs.destroy());
        await rt.store.dispatcher.close().catch(() => undefined);
        rt.addressLists.close();
        zstdReaders.stop();
        store.disconnectWaitConnections();
        redis.disconnect();
        const total = counts.reduce<DrainCounts>((t, c) => ({ drained: t.drained + c.drained, forced: t.forced + c.forced }), { drained: 0, forced: 0 });
        log.info({ event: 'shutdown-complete', ...total }, 'listener closed');
      })();
      return closing;
    },
  };
}

/** How long a starting listener waits for its Redis connection before it listens anyway. */
const REDIS_READY_WAIT_MS = 3_000;

/** Resolves when the connection is ready, or after `ms` (whichever comes first). */
function redisReady(redis: { status: string; once(event: 'ready', cb: () => void): unknown; off(event: 'ready', cb: () => void): unknown }, ms: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    redis.once('ready', done);
  });
}
