/**
 * startListener: binds every configured listener address (smtp-listener lines and <smtp-listener> stanzas,
 * merged by @vmta/config), each with its own smtp-server, and queues accepted mail in Redis.
 */
import type { AddressInfo } from 'node:net';
import type { VmtaConfig } from '@vmta/config';
import { createRedis, MessageStore, RateCounter } from '@vmta/queue';
import { pino, type Logger } from 'pino';
import type { SMTPServer } from 'smtp-server';
import { ListenerStartError } from './errors.js';
import { DEFAULT_LIMITS, ListenerRuntime, type ListenerLimits } from './listener-runtime.js';
import { createSmtpServer } from './smtp-listener.js';
import { loadTlsCertificate, type TlsCredentials } from './tls-certificate.js';

export interface StartListenerOptions {
  config: VmtaConfig;
  redisUrl: string;
  /** Redis key prefix (without a trailing ':'); default "vmta". */
  prefix?: string;
  logger?: Logger;
  limits?: Partial<ListenerLimits>;
  /** Base for relative certificate paths; default the process cwd. */
  cwd?: string;
}

export interface BoundListener {
  /** The listener as written in the config, e.g. "0/0:25". */
  name: string;
  address: string;
  /** The port actually bound (differs from the configured one when that was 0). */
  port: number;
  immediateTls: boolean;
}

export interface RunningListener {
  addresses: BoundListener[];
  /** Takes a new configuration for new sessions and transactions (listener addresses are not rebound). */
  reload(config: VmtaConfig): void;
  /** Stops accepting, lets sessions finish (up to closeTimeoutMs), then closes Redis. */
  close(): Promise<void>;
}

function listen(server: SMTPServer, address: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(new ListenerStartError(`cannot listen on ${address}:${port}: ${err.message}`, { cause: err }));
    server.server.once('error', onError);
    server.listen(port, address, () => {
      server.server.off('error', onError);
      resolve(server.server.address() as AddressInfo);
    });
  });
}

function closeServer(server: SMTPServer): Promise<void> {
  return new Promise((resolve) => {
    if (!server.server.listening) return resolve();
    server.close(() => resolve());
  });
}

export async function startListener(options: StartListenerOptions): Promise<RunningListener> {
  const rootLog = options.logger ?? pino({ level: 'silent' });
  const log = rootLog.child({ component: 'listener' });
  const cwd = options.cwd ?? process.cwd();
  const certificates = (config: VmtaConfig) =>
    config.listeners.map((l) => {
      if (!l.tlsCertificate && l.immediateTls) throw new ListenerStartError(`listener ${l.name} has immediate-tls but no TLS certificate`);
      return l.tlsCertificate ? loadTlsCertificate(l.tlsCertificate, cwd) : undefined;
    });
  const tlsPerListener: (TlsCredentials | undefined)[] = certificates(options.config);

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
  const rt = new ListenerRuntime(
    options.config,
    new MessageStore(redis, { prefix }),
    new RateCounter(redis, prefix),
    log,
    { ...DEFAULT_LIMITS, ...options.limits },
    rootLog,
  );

  const servers: SMTPServer[] = [];
  const addresses: BoundListener[] = [];
  try {
    for (const [i, l] of options.config.listeners.entries()) {
      const server = createSmtpServer(rt, l, tlsPerListener[i]);
      server.on('error', (err: Error) => log.warn({ event: 'smtp-error', listener: l.name, err: err.message }, 'SMTP connection error'));
      servers.push(server);
      const bound = await listen(server, l.address.address, l.address.port);
      addresses.push({ name: l.name, address: bound.address, port: bound.port, immediateTls: l.immediateTls });
      log.info({ event: 'listening', listener: l.name, address: bound.address, port: bound.port, immediateTls: l.immediateTls }, 'listening');
    }
  } catch (err) {
    await Promise.all(servers.map(closeServer));
    redis.disconnect();
    throw err;
  }

  return {
    addresses,
    reload(config) {
      const tls = certificates(config);
      rt.setConfig(config);
      servers.forEach((server, i) => {
        const creds = tls[i];
        if (creds) server.updateSecureContext({ key: creds.key, cert: creds.cert });
      });
      log.info({ event: 'reloaded' }, 'configuration reloaded');
    },
    async close() {
      await Promise.all(servers.map(closeServer));
      await rt.store.dispatcher.close().catch(() => undefined);
      redis.disconnect();
      log.info({ event: 'closed' }, 'listener closed');
    },
  };
}
