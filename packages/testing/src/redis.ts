/**
 * Redis for tests: the ONE helper every integration test uses.
 *
 * Where Redis comes from, in this order:
 *   1. REDIS_URL, if set (never flushed: only keys under our prefixes are deleted);
 *   2. our own `redis-server` on a free port (one per vitest run, see global-setup.ts);
 *   3. testcontainers, when a Docker engine is reachable;
 *   4. otherwise getTestRedis() throws RedisUnavailableError saying how to get Redis.
 *
 * Under the root vitest config the choice is made once per run in the
 * globalSetup, which hands the result to the workers with `provide` (key
 * `vmtaTestRedis`) and, for child processes, the VMTA_TEST_REDIS_CONTEXT env
 * var (JSON). Without that globalSetup (another config, a plain script) the
 * same choice is made lazily once per process.
 *
 * Every getTestRedis() call gets a fresh prefix `t:<runId>:<random>:`; at the
 * end of the run the globalSetup deletes `t:<runId>:*` when REDIS_URL is used
 * (our own server is simply stopped: it never saves anything).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  findRedisServer,
  RedisServerNotFound,
  type AppendFsync,
  type RedisServerHandle,
} from '@vmta/redis-server';
import { launchRedisServer, makeRunTmpDir } from './run-resources.js';

export { makeRunTmpDir } from './run-resources.js';

/** What the globalSetup hands to every test worker. */
export interface TestRedisContext {
  /** Redis URL shared by the run; absent when no Redis could be had (see `error`). */
  url?: string;
  source?: RedisSource;
  /** Why there is no Redis, with instructions. */
  error?: string;
  /** Random id of this run; every prefix handed out starts with `t:<runId>:`. */
  runId: string;
  /** Scratch directory of this run, removed at the end of the run. */
  tmpDir: string;
}

export type RedisSource = 'REDIS_URL' | 'redis-server' | 'testcontainers';

/** Env var carrying the JSON TestRedisContext to workers and child processes. */
export const TEST_REDIS_CONTEXT_ENV = 'VMTA_TEST_REDIS_CONTEXT';
/** Key used with vitest's provide()/inject(). */
export const TEST_REDIS_PROVIDE_KEY = 'vmtaTestRedis';

export class RedisUnavailableError extends Error {
  readonly code = 'REDIS_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'RedisUnavailableError';
  }
}

export const HOW_TO_GET_REDIS =
  'Tests need Redis. Either install redis-server so the tests can start their own on a free port ' +
  '(Debian/Ubuntu: `sudo apt-get install -y redis-server`; macOS: `brew install redis`), ' +
  'or set REDIS_URL=redis://host:port/db to use an existing Redis (tests only touch keys under a ' +
  'unique `t:<run>:` prefix and never flush it), or run a Docker engine (testcontainers will start redis).';

const randomHex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** Key prefix covering everything a run created. */
export function runPrefix(runId: string): string {
  return `t:${runId}:`;
}

/** `redis://user:secret@h` -> `redis://user:***@h`, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^@/]*)@/, '//***@');
  }
}

// ---------------------------------------------------------------------------
// Acquiring the run's shared Redis

export interface SharedRedis {
  url: string;
  source: RedisSource;
  dispose(): Promise<void>;
}

async function checkReachable(url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let lastError: Error | undefined;
  client.on('error', (err: Error) => {
    lastError = err; // more telling than the "Connection is closed." that connect() rejects with
  });
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw lastError ?? err;
  } finally {
    client.disconnect();
  }
}

type Testcontainers = typeof import('testcontainers');

async function startContainerRedis(): Promise<SharedRedis | null> {
  let tc: Testcontainers;
  try {
    // Optional dependency: absent means "no testcontainers path".
    tc = (await import('testcontainers')) as Testcontainers;
  } catch {
    return null;
  }
  try {
    await tc.getContainerRuntimeClient(); // throws when no Docker engine is reachable
  } catch {
    return null;
  }
  const image = process.env['VMTA_TEST_REDIS_IMAGE'] ?? 'redis:7-alpine';
  const container = await new tc.GenericContainer(image)
    .withExposedPorts(6379)
    .withCommand(['redis-server', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'])
    .withWaitStrategy(tc.Wait.forLogMessage(/Ready to accept connections/))
    .start();
  const host = container.getHost();
  const url = `redis://${host.includes(':') ? `[${host}]` : host}:${container.getMappedPort(6379)}`;
  return {
    url,
    source: 'testcontainers',
    async dispose() {
      await container.stop();
    },
  };
}

/**
 * Pick the run's Redis: REDIS_URL, else our own redis-server (data under
 * `tmpDir`), else testcontainers, else throw RedisUnavailableError.
 */
export async function acquireSharedRedis(opts: { tmpDir: string }): Promise<SharedRedis> {
  const envUrl = process.env['REDIS_URL'];
  if (envUrl) {
    try {
      await checkReachable(envUrl);
    } catch (err) {
      throw new RedisUnavailableError(
        `REDIS_URL=${redactUrl(envUrl)} is set but not reachable (${(err as Error).message}). ` +
          'Fix it, or unset REDIS_URL to let the tests start their own redis-server.',
      );
    }
    return { url: envUrl, source: 'REDIS_URL', dispose: async () => {} };
  }

  if (findRedisServer()) {
    const dir = join(opts.tmpDir, 'shared-redis');
    mkdirSync(dir, { recursive: true });
    const server = await launchRedisServer({ dir });
    return {
      url: server.url,
      source: 'redis-server',
      dispose: () => server.stop({ timeoutMs: 5000 }),
    };
  }

  const container = await startContainerRedis();
  if (container) return container;

  throw new RedisUnavailableError(`No Redis available: REDIS_URL is not set, redis-server is not on PATH and no Docker engine is reachable. ${HOW_TO_GET_REDIS}`);
}

// ---------------------------------------------------------------------------
// Finding the run's context from a test

function parseContext(json: string | undefined): TestRedisContext | undefined {
  if (!json) return undefined;
  try {
    const ctx = JSON.parse(json) as TestRedisContext;
    return typeof ctx.runId === 'string' ? ctx : undefined;
  } catch {
    return undefined;
  }
}

async function injectedContext(): Promise<TestRedisContext | undefined> {
  if (!process.env['VITEST']) return undefined;
  try {
    const vitest = (await import('vitest')) as unknown as { inject(key: string): unknown };
    return vitest.inject(TEST_REDIS_PROVIDE_KEY) as TestRedisContext | undefined;
  } catch {
    return undefined;
  }
}

let fallbackContext: Promise<TestRedisContext> | undefined;

/** No globalSetup ran: choose a Redis for this process only. */
function processContext(): Promise<TestRedisContext> {
  fallbackContext ??= (async () => {
    const runId = randomHex(4);
    const tmpDir = makeRunTmpDir(runId);
    process.on('exit', () => rmSync(tmpDir, { recursive: true, force: true }));
    try {
      const shared = await acquireSharedRedis({ tmpDir });
      // A spawned redis-server dies with this process (watchdog), a container
      // through testcontainers' reaper; nothing to do at exit.
      return { runId, tmpDir, url: shared.url, source: shared.source };
    } catch (err) {
      return { runId, tmpDir, error: (err as Error).message };
    }
  })();
  return fallbackContext;
}

/** The run's context: from the globalSetup if there was one, else chosen for this process. */
export async function getTestRedisContext(): Promise<TestRedisContext> {
  return (
    (await injectedContext()) ?? parseContext(process.env[TEST_REDIS_CONTEXT_ENV]) ?? (await processContext())
  );
}

// ---------------------------------------------------------------------------
// Public helpers

export interface TestRedis {
  /** Redis URL to connect to. */
  url: string;
  /** Fresh unique key prefix, `t:<runId>:<random>:`; use only keys under it. */
  prefix: string;
  /** Delete every key under `prefix` (never flushes). */
  cleanup(): Promise<number>;
}

/**
 * A Redis URL plus a fresh, unique key prefix. Tests must keep to keys under
 * the prefix (ioredis `keyPrefix`, BullMQ `prefix`, ...). Keys left behind are
 * deleted at the end of the run when REDIS_URL is used; call cleanup() to drop
 * them earlier.
 */
export async function getTestRedis(): Promise<TestRedis> {
  const ctx = await getTestRedisContext();
  if (!ctx.url) throw new RedisUnavailableError(ctx.error ?? HOW_TO_GET_REDIS);
  const url = ctx.url;
  const prefix = `${runPrefix(ctx.runId)}${randomHex(6)}:`;
  return { url, prefix, cleanup: () => cleanupPrefix(url, prefix) };
}

const escapeGlob = (s: string): string => s.replace(/[*?[\]\\]/g, '\\$&');

/** Delete every key starting with `prefix` (SCAN + UNLINK). Returns how many. Never flushes. */
export async function cleanupPrefix(url: string, prefix: string): Promise<number> {
  if (!prefix) throw new Error('cleanupPrefix: refusing an empty prefix');
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000 });
  client.on('error', () => {
    /* surfaced by the commands */
  });
  let deleted = 0;
  try {
    await client.connect();
    const pattern = `${escapeGlob(prefix)}*`;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
    await client.quit();
  } finally {
    client.disconnect();
  }
  return deleted;
}

// ---------------------------------------------------------------------------
// Private Redis servers (stop / kill / restart)

/** True when this machine can run private Redis servers (redis-server on PATH). */
export function canStartPrivateRedis(): boolean {
  return findRedisServer() !== null;
}

/** Why private-Redis tests are skipped, or undefined if they can run. */
export function privateRedisSkipReason(): string | undefined {
  if (canStartPrivateRedis()) return undefined;
  return (
    'needs redis-server on PATH to start/stop/restart a private Redis' +
    (process.env['REDIS_URL'] ? ' (REDIS_URL only provides a shared server)' : '') +
    '; install it, e.g. `sudo apt-get install -y redis-server`'
  );
}

export interface PrivateRedisOptions {
  /** AOF on (default true), so data survives stop/kill + restart. */
  appendOnly?: boolean;
  /** Default 'always': every acknowledged write is on disk. */
  appendFsync?: AppendFsync;
  /** Data dir; default a fresh dir under the run's tmp dir (removed by dispose()). */
  dir?: string;
  /** Port; default a free one. Kept across restarts. */
  port?: number;
}

export interface PrivateRedis {
  /** Stays the same across restarts. */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** pid of the current redis-server process. */
  readonly pid: number;
  isRunning(): boolean;
  /** Graceful shutdown (data flushed to the AOF). */
  stop(): Promise<void>;
  /** SIGKILL, like a crash. */
  kill(): Promise<void>;
  /** Start again on the same port and dir (stops it first if it is running). */
  restart(): Promise<void>;
  /** Stop (SIGKILL) and remove the dir if this helper created it. */
  dispose(): Promise<void>;
}

/** A Redis of the test's own, which it may stop, kill and restart. Needs redis-server (see canStartPrivateRedis). */
export async function startPrivateRedis(opts: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  if (!canStartPrivateRedis()) {
    throw new RedisServerNotFound(`Cannot start a private Redis: ${privateRedisSkipReason()}`);
  }
  const ctx = parseContext(process.env[TEST_REDIS_CONTEXT_ENV]) ?? (await injectedContext());
  let ownDir = false;
  let dir = opts.dir;
  if (!dir) {
    if (ctx?.tmpDir) {
      mkdirSync(ctx.tmpDir, { recursive: true });
      dir = mkdtempSync(join(ctx.tmpDir, 'private-redis-'));
    } else {
      dir = makeRunTmpDir(randomHex(4));
    }
    ownDir = true;
  }
  const appendOnly = opts.appendOnly ?? true;
  const appendFsync = opts.appendFsync ?? 'always';
  const launch = (port: number | undefined): Promise<RedisServerHandle> =>
    launchRedisServer({ dir: dir as string, port, appendOnly, appendFsync });

  let server: RedisServerHandle;
  try {
    server = await launch(opts.port);
  } catch (err) {
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const { url, port } = server;
  const finalDir = dir;

  return {
    url,
    port,
    dir: finalDir,
    get pid() {
      return server.pid;
    },
    isRunning: () => server.isRunning(),
    stop: () => server.stop(),
    kill: () => server.kill(),
    async restart() {
      if (server.isRunning()) await server.stop();
      server = await launch(port);
    },
    async dispose() {
      await server.kill();
      if (ownDir) rmSync(finalDir, { recursive: true, force: true });
    },
  };
}
