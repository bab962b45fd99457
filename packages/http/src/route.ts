/** What a route is: method, path match, the access level it needs, and its handler. */
import type { ServerResponse } from 'node:http';
import type { HttpAccessLevel, VmtaConfig } from '@vmta/config';
import type { Cluster } from '@vmta/control';
import type { Logger } from 'pino';

export interface ReloadResult {
  ok: boolean;
  errors?: string[];
}

/** What every handler gets: the cluster through Redis, and the server's options. */
export interface HttpContext {
  cluster: Cluster;
  log: Logger;
  version: string;
  /** The configuration this process runs on now (VMTAs and pools for GET /vmtas). */
  config: () => VmtaConfig;
  onReload?: () => Promise<ReloadResult>;
}

export type Method = 'GET' | 'POST';

export interface Route {
  method: Method;
  /** Matches the raw (still percent-encoded) path; returns the path parameters, or undefined. */
  match: (path: string) => string[] | undefined;
  level: HttpAccessLevel;
  handle: (ctx: HttpContext, res: ServerResponse, params: string[], client: Client) => Promise<void>;
}

/** Who is asking: the router has already computed the access level from `http-access`. */
export interface Client {
  ip: string;
  level: HttpAccessLevel;
  /** The request's query string (`?minutes=60`, `?dsn=1`). */
  query: URLSearchParams;
  /** A HEAD request: the headers are all that is sent, so a route that streams need not read what it would send. */
  head: boolean;
}

/** A route whose path is exactly `path`. */
export function exact(path: string): (p: string) => string[] | undefined {
  return (p) => (p === path ? [] : undefined);
}
