/**
 * REDIS_URL, read: one server (`redis://`, `rediss://`, `unix:`), or a Sentinel set and the name
 * of the master it watches: `redis-sentinel://[user:password@]h1:26379,h2:26379,h3/mymaster[/db]`.
 * Query parameters: `wait-replicas=<n>` and `wait-timeout=<ms>` (the listener's WAIT before 250;
 * see waitPolicy for how they meet the redis-wait-* directives and the defaults);
 * `sentinel-password=<p>` when the Sentinels ask for one of their own. Pure.
 */
import { RedisUrlError } from './errors.js';

export const SENTINEL_SCHEME = 'redis-sentinel:';
export const DEFAULT_SENTINEL_PORT = 26379;
export const DEFAULT_WAIT_TIMEOUT_MS = 1000;

/** WAIT before 250: the enqueue must reach `replicas` replicas within `timeoutMs`; 0 replicas = off. */
export interface WaitPolicy {
  replicas: number;
  timeoutMs: number;
}

/** The WAIT settings of a process's REDIS_URL or of the configuration: only what was given. */
export interface WaitSettings {
  replicas?: number | undefined;
  timeoutMs?: number | undefined;
}

export type RedisTarget =
  | { kind: 'single'; url: string; waitInUrl: WaitSettings }
  | {
      kind: 'sentinel';
      sentinels: Array<{ host: string; port: number }>;
      name: string;
      db: number;
      username?: string;
      password?: string;
      sentinelPassword?: string;
      waitInUrl: WaitSettings;
    };

const OWN_PARAMS = ['wait-replicas', 'wait-timeout', 'sentinel-password'];

function nonNegativeInt(value: string | null, what: string, fallback: number): number {
  if (value === null) return fallback;
  if (!/^\d+$/.test(value)) throw new RedisUrlError(`REDIS_URL: ${what} must be a whole number, not "${value}"`);
  return Number(value);
}

function waitInUrl(params: URLSearchParams, sentinel: boolean): WaitSettings {
  const given: WaitSettings = {};
  const replicas = params.get('wait-replicas');
  const timeout = params.get('wait-timeout');
  if (replicas !== null) given.replicas = nonNegativeInt(replicas, 'wait-replicas', 0);
  if (timeout !== null) given.timeoutMs = nonNegativeInt(timeout, 'wait-timeout (ms)', DEFAULT_WAIT_TIMEOUT_MS);
  if (given.timeoutMs === 0 && (given.replicas ?? (sentinel ? 1 : 0)) > 0) {
    throw new RedisUrlError('REDIS_URL: wait-timeout=0 would wait forever; give milliseconds');
  }
  return given;
}

/**
 * The listener's WAIT before 250. Each value separately: the URL's parameter when given (a
 * process's own REDIS_URL), else the directive (`redis-wait-replicas`, `redis-wait-timeout`: the
 * whole cluster's file), else the default: 1 replica within 1000 ms for a Sentinel set, off (0
 * replicas) for one server. Throws RedisUrlError when replicas are asked with a timeout of 0.
 */
export function waitPolicy(target: RedisTarget, directives: WaitSettings = {}): WaitPolicy {
  const replicas = target.waitInUrl.replicas ?? directives.replicas ?? (target.kind === 'sentinel' ? 1 : 0);
  const timeoutMs = target.waitInUrl.timeoutMs ?? directives.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  if (replicas > 0 && timeoutMs <= 0) {
    // Name where each value came from: the URL's wait-timeout=0 may meet a directive's replicas.
    const r = target.waitInUrl.replicas !== undefined ? `REDIS_URL wait-replicas=${replicas}` : directives.replicas !== undefined ? `redis-wait-replicas ${replicas}` : `${replicas} replica (the Sentinel default)`;
    const t = target.waitInUrl.timeoutMs !== undefined ? 'REDIS_URL wait-timeout=0' : 'redis-wait-timeout 0';
    throw new RedisUrlError(`${r} with ${t} would wait forever before 250; give a timeout, or redis-wait-replicas 0`);
  }
  return { replicas, timeoutMs };
}

function hostPort(item: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d+))?$/.exec(item);
  if (!m) throw new RedisUrlError(`REDIS_URL: "${item}" is not host[:port] in the Sentinel list`);
  const host = (m[1] as string).replace(/^\[|\]$/g, '');
  const port = m[2] === undefined ? DEFAULT_SENTINEL_PORT : Number(m[2]);
  if (port < 1 || port > 65535) throw new RedisUrlError(`REDIS_URL: port ${port} of ${host} is out of range`);
  return { host, port };
}

function parseSentinel(url: string): RedisTarget {
  // new URL() takes one host only: the authority (host list) is read by hand.
  const rest = url.slice('redis-sentinel://'.length);
  const q = rest.indexOf('?');
  const [main, query] = q < 0 ? [rest, ''] : [rest.slice(0, q), rest.slice(q + 1)];
  const slash = main.indexOf('/');
  if (slash < 0) throw new RedisUrlError('REDIS_URL: redis-sentinel:// needs the master name: redis-sentinel://h1:26379,h2:26379/mymaster');
  let authority = main.slice(0, slash);
  const [name, db, ...extra] = main.slice(slash + 1).split('/');
  if (!name || extra.length > 0) throw new RedisUrlError('REDIS_URL: redis-sentinel://hosts/<master name>[/<db>] expected');
  let username: string | undefined;
  let password: string | undefined;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    authority = authority.slice(at + 1);
    const colon = userinfo.indexOf(':');
    username = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon)) || undefined;
    password = colon < 0 ? undefined : decodeURIComponent(userinfo.slice(colon + 1));
  }
  const sentinels = authority.split(',').filter((s) => s !== '').map(hostPort);
  if (sentinels.length === 0) throw new RedisUrlError('REDIS_URL: redis-sentinel:// names no Sentinel');
  const params = new URLSearchParams(query);
  for (const key of params.keys()) {
    if (!OWN_PARAMS.includes(key)) throw new RedisUrlError(`REDIS_URL: unknown parameter "${key}" (known: ${OWN_PARAMS.join(', ')})`);
  }
  const sentinelPassword = params.get('sentinel-password') ?? undefined;
  return {
    kind: 'sentinel',
    sentinels,
    name: decodeURIComponent(name),
    db: nonNegativeInt(db ?? null, 'the database number', 0),
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(sentinelPassword !== undefined ? { sentinelPassword } : {}),
    waitInUrl: waitInUrl(params, true),
  };
}

const FORMS = 'give redis://[user:password@]host[:port][/db], rediss://... (TLS), redis-sentinel://hosts/master or a Unix socket path';

/**
 * One server's URL as ioredis would take it, else RedisUrlError: ioredis reads `garbage` or `http://x` as a
 * host name (then "Connection is closed") and throws a bare TypeError for `redis://h:99999`. The password
 * is never repeated in the message.
 */
function checkSingle(url: string): void {
  if (url.startsWith('/')) return; // a Unix socket path: /run/redis.sock[?db=2]
  const shown = JSON.stringify(url.replace(/\/\/[^@/]*@/, '//***@'));
  if (!/^rediss?:\/\//i.test(url)) throw new RedisUrlError(`REDIS_URL: ${shown} is not a Redis URL: ${FORMS}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisUrlError(`REDIS_URL: ${shown} is not a URL (a port past 65535, a space or a bad character?): ${FORMS}`);
  }
  if (parsed.hostname === '') throw new RedisUrlError(`REDIS_URL: ${shown} names no host: ${FORMS}`);
  if (!/^\/?(\d+)?$/.test(parsed.pathname)) throw new RedisUrlError(`REDIS_URL: ${shown}: the path is the database number (redis://host:6379/2)`);
}

/** Reads REDIS_URL; throws RedisUrlError naming what is wrong. */
export function parseRedisUrl(url: string): RedisTarget {
  if (url.startsWith(`${SENTINEL_SCHEME}//`)) return parseSentinel(url);
  checkSingle(url);
  const q = url.indexOf('?');
  if (q < 0) return { kind: 'single', url, waitInUrl: {} };
  const params = new URLSearchParams(url.slice(q + 1));
  const wait = waitInUrl(params, false);
  // Our parameters are not ioredis options: they are taken out of the URL it reads.
  for (const key of OWN_PARAMS) params.delete(key);
  const left = params.toString();
  return { kind: 'single', url: url.slice(0, q) + (left ? `?${left}` : ''), waitInUrl: wait };
}
