/**
 * Spawn and supervise a local `redis-server` process.
 *
 * Used by `vmta start` (embedded Redis, AOF on, under ./data/redis) and by the
 * test helpers in @vmta/testing (one server per test run, plus private servers
 * that tests stop / kill / restart on the same port and dir).
 *
 * The spawned server never outlives the process that started it: a tiny
 * `/bin/sh` watchdog holds the read end of a pipe whose write end only this
 * process has; when this process dies for any reason (including SIGKILL) the
 * pipe hits EOF and the watchdog SIGKILLs the server. A process 'exit' handler
 * additionally SIGKILLs live servers on a normal exit (parent-death.ts).
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { RedisServerNotFound, RedisServerStartError } from './errors.js';
import { installExitHook, liveChildren, startWatchdog, type Watchdog } from './parent-death.js';
import { connectHost, findRedisServer, getFreePort, isExecutableFile, sendInline, urlHost } from './redis-net.js';

export type AppendFsync = 'always' | 'everysec' | 'no';

export interface RedisServerLogger {
  info(obj: object, msg: string): void;
}

export interface StartRedisServerOptions {
  /** Working directory for RDB/AOF files (created if missing). */
  dir: string;
  /** TCP port; 0 or absent = pick a free port. A fixed port is fine (restarts). */
  port?: number;
  /** Address to bind; default 127.0.0.1. */
  bind?: string;
  /** Turn on the append-only file. Without it RDB snapshots are disabled too (`--save ""`). */
  appendOnly?: boolean;
  /** `appendfsync` policy when appendOnly is on; Redis' default is everysec. */
  appendFsync?: AppendFsync;
  logger?: RedisServerLogger;
  /** Path of the redis-server binary; default: looked up on PATH. */
  bin?: string;
  /** How long to wait for the server to answer PING; default 20 s. */
  startTimeoutMs?: number;
  /** Kill the server when this process dies (watchdog + exit handler); default true. */
  killWithParent?: boolean;
  /** Extra raw arguments appended to the command line, e.g. ['--loglevel', 'warning']. */
  extraArgs?: string[];
  /** A config file read first (it must be the first argument): a Sentinel needs one it can rewrite. */
  configFile?: string;
}

export interface RedisServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RedisServerHandle {
  /** e.g. redis://127.0.0.1:34567 */
  url: string;
  host: string;
  port: number;
  pid: number;
  dir: string;
  /** Graceful shutdown (SHUTDOWN; SIGTERM if that fails), SIGKILL after `timeoutMs` (default 10 s). */
  stop(opts?: { timeoutMs?: number }): Promise<void>;
  /** SIGKILL, resolves once the process is gone. */
  kill(): Promise<void>;
  /** Resolves when the process exits (for whatever reason). */
  readonly exited: Promise<RedisServerExit>;
  /** Whether the process is still running. */
  isRunning(): boolean;
  /** Last lines of the server's log (stdout/stderr). */
  logTail(lines?: number): string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const LOG_LINES_KEPT = 200;

export async function startRedisServer(opts: StartRedisServerOptions): Promise<RedisServerHandle> {
  const bin = opts.bin ?? findRedisServer();
  if (!bin) throw new RedisServerNotFound();
  if (opts.bin && !isExecutableFile(opts.bin)) {
    throw new RedisServerNotFound(`redis-server binary ${opts.bin} does not exist or is not executable`);
  }
  const dir = isAbsolute(opts.dir) ? opts.dir : resolvePath(opts.dir);
  mkdirSync(dir, { recursive: true });
  const bind = opts.bind ?? '127.0.0.1';
  const host = connectHost(bind);
  const fixedPort = opts.port !== undefined && opts.port !== 0;
  if (opts.port !== undefined && (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)) {
    throw new RangeError(`invalid port ${opts.port}`);
  }

  // A port picked by getFreePort() can be taken by someone else before
  // redis-server binds it: retry with a new one in that (rare) case.
  const attempts = fixedPort ? 1 : 5;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const port = fixedPort ? (opts.port as number) : await getFreePort(host);
    try {
      return await spawnOnce(bin, dir, bind, host, port, opts);
    } catch (err) {
      lastError = err;
      const inUse = err instanceof RedisServerStartError && /address already in use/i.test(err.logTail);
      if (!inUse || attempt === attempts) throw err;
    }
  }
  throw lastError;
}

async function spawnOnce(
  bin: string,
  dir: string,
  bind: string,
  host: string,
  port: number,
  opts: StartRedisServerOptions,
): Promise<RedisServerHandle> {
  const args = [
    ...(opts.configFile ? [opts.configFile] : []),
    '--port', String(port),
    '--bind', bind,
    '--dir', dir,
    '--daemonize', 'no',
    '--maxmemory-policy', 'noeviction',
    '--logfile', '',
  ];
  if (opts.appendOnly) {
    args.push('--appendonly', 'yes', '--appendfsync', opts.appendFsync ?? 'everysec');
  } else {
    args.push('--appendonly', 'no', '--save', '');
  }
  if (opts.extraArgs) args.push(...opts.extraArgs);

  const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const killWithParent = opts.killWithParent !== false;

  const log: string[] = [];
  let partial = '';
  const onOutput = (chunk: Buffer): void => {
    const text = partial + chunk.toString('utf8');
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      log.push(l);
      if (log.length > LOG_LINES_KEPT) log.shift();
    }
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  const logTail = (n = 30): string => [...log, ...(partial ? [partial] : [])].slice(-n).join('\n');

  let running = true;
  let watchdog: Watchdog | undefined;
  const exited = new Promise<RedisServerExit>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      liveChildren.delete(child);
      watchdog?.disarm();
      resolve({ code, signal });
    });
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  if (child.pid === undefined) {
    const err = await spawnError;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new RedisServerNotFound(`cannot run ${bin}: ${err.message}`);
    throw new RedisServerStartError(`cannot run ${bin}: ${err.message}`, '');
  }
  const pid = child.pid;
  if (killWithParent) {
    liveChildren.add(child);
    installExitHook();
    watchdog = startWatchdog(pid);
  }
  // Neither the child nor its pipes keep the event loop alive.
  child.unref();
  (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();

  // While someone awaits the exit, keep the event loop alive so the
  // process is reaped (the child is unref'd otherwise).
  const awaitExit = async (): Promise<void> => {
    if (!running) return;
    child.ref();
    try {
      await exited;
    } finally {
      child.unref();
    }
  };

  const kill = async (): Promise<void> => {
    if (running) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }
    await awaitExit();
  };

  // Wait for PING -> PONG (-LOADING while an AOF is replayed: keep waiting).
  const timeoutMs = opts.startTimeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  let early: RedisServerExit | undefined;
  void exited.then((e) => (early = e));
  let lastReply = '';
  for (;;) {
    if (early) {
      // Give the pipes a moment to deliver the last log lines.
      await sleep(20);
      throw new RedisServerStartError(
        `redis-server exited during startup (code ${early.code}, signal ${early.signal}) on ${host}:${port}`,
        logTail(),
      );
    }
    try {
      // Race the exit: something else may hold the port and never answer.
      const reply = await Promise.race([sendInline(host, port, 'PING', 1000), exited.then(() => '(exited)')]);
      if (reply === '+PONG') break;
      lastReply = reply ?? '(connection closed)';
    } catch (err) {
      lastReply = (err as Error).message;
    }
    if (Date.now() > deadline) {
      await kill();
      throw new RedisServerStartError(
        `redis-server on ${host}:${port} did not answer PING within ${timeoutMs} ms (last: ${lastReply})`,
        logTail(),
      );
    }
    await sleep(25);
  }

  const url = `redis://${urlHost(host)}:${port}`;
  opts.logger?.info({ pid, port, dir, appendOnly: !!opts.appendOnly }, 'redis-server started');
  void exited.then((e) => opts.logger?.info({ pid, port, code: e.code, signal: e.signal }, 'redis-server exited'));

  const stop = async (stopOpts?: { timeoutMs?: number }): Promise<void> => {
    if (!running) return;
    const timeout = stopOpts?.timeoutMs ?? 10_000;
    let reply: string | null | undefined;
    try {
      // SHUTDOWN closes the connection without a reply on success.
      reply = await sendInline(host, port, 'SHUTDOWN', Math.min(timeout, 5000));
    } catch {
      reply = undefined;
    }
    if (reply !== null && running) {
      try {
        child.kill('SIGTERM'); // Redis handles SIGTERM like SHUTDOWN
      } catch {
        /* gone */
      }
    }
    const timer = setTimeout(() => {
      if (running) child.kill('SIGKILL');
    }, timeout);
    try {
      await awaitExit();
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    url,
    host,
    port,
    pid,
    dir,
    stop,
    kill,
    exited,
    isRunning: () => running,
    logTail,
  };
}
