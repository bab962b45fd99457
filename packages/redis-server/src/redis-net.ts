/** Finding the redis-server binary, a free port, the host of a client URL, and one inline command to a server (PING, SHUTDOWN). */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { delimiter, join } from 'node:path';

export function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of `redis-server` on PATH, or null. */
export function findRedisServer(pathEnv: string | undefined = process.env['PATH']): string | null {
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'redis-server');
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

/** Ask the OS for a currently free TCP port on `host`. */
export function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not determine a free port'))));
    });
  });
}

/** Host to use in a client URL for a given bind address. */
export function connectHost(bind: string): string {
  const first = bind.trim().split(/\s+/)[0]?.replace(/^-/, '') ?? '127.0.0.1';
  if (first === '' || first === '*' || first === '0.0.0.0') return '127.0.0.1';
  if (first === '::' || first === '::*') return '::1';
  return first;
}

export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Send one inline command and return the first reply line (e.g. "+PONG"),
 * or null if the connection closes without a reply (what SHUTDOWN does).
 */
export function sendInline(host: string, port: number, command: string, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host, port });
    let buf = '';
    let done = false;
    const finish = (err: Error | null, line: string | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(line);
    };
    const timer = setTimeout(() => finish(new Error(`timeout waiting for reply to ${command}`), null), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${command}\r\n`));
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const i = buf.indexOf('\r\n');
      if (i >= 0) finish(null, buf.slice(0, i));
    });
    sock.on('error', (err) => finish(err, null));
    sock.on('close', () => finish(null, null));
  });
}
