/**
 * What a request must show before any route runs (pure). The access level by client IP (`http-access`)
 * is not enough on its own:
 * - DNS rebinding: a page on attacker.example whose name later resolves to this server is "same origin"
 *   for the browser. The Host header tells: only an IP literal, `localhost` or a name of this host is
 *   accepted (never a name the operator did not give us). One Host field with a valid value, or a 400
 *   (RFC 9112 §3.2); an absolute-form target's authority stands for it (§3.2.2).
 * - CSRF: a page on another origin, opened by an operator whose browser is on an allowed address, can
 *   POST here. A state-changing request needs a same-origin `Origin`, or (no Origin: a script) the
 *   `X-Vmta-Request` header, which a browser cannot send cross-site without a CORS preflight we never
 *   answer, or an API key. `Sec-Fetch-Site: cross-site|same-site` is refused whatever else it carries.
 * - Scripts on other hosts: `Authorization: Bearer KEY` with an `http-api-key` gives that key's level.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { HttpAccessLevel, HttpApiKey } from '@vmta/config';

export const CSRF_HEADER = 'x-vmta-request';

export interface GuardRequest {
  method: string;
  /** The Host header (the first, when there are several). */
  host?: string;
  /** How many Host fields the request has (1 when absent from the object: a unit test's shorthand). */
  hostFields?: number;
  /** The authority of an absolute-form request target (request-target.ts). */
  authority?: string;
  origin?: string;
  secFetchSite?: string;
  authorization?: string;
  /** The X-Vmta-Request header was sent. */
  csrfHeader: boolean;
}

export interface GuardSettings {
  /** Names this server answers for, lowercased (host-name, the OS host name); IP literals and localhost always. */
  hostNames: ReadonlySet<string>;
  apiKeys: readonly HttpApiKey[];
}

export type GuardVerdict =
  | { ok: true; keyLevel?: Exclude<HttpAccessLevel, 'none'> }
  | { ok: false; status: 400 | 401 | 403; error: string; reason: string };

/**
 * The host part of a Host header (`[::1]:8080` → `::1`, `Name:80` → `name`), or undefined when malformed.
 * The port is RFC 3986's `*DIGIT`: it may be empty (`127.0.0.1:`, the default port) or carry leading
 * zeros, and its value is at most 65535.
 */
export function hostOf(header: string): string | undefined {
  const h = header.trim().toLowerCase();
  const v6 = /^\[([0-9a-f:.]+)\](?::(\d*))?$/.exec(h);
  const m = v6 ?? /^([a-z0-9.-]+)(?::(\d*))?$/.exec(h);
  if (!m || (m[2] !== undefined && Number(m[2]) > 65535)) return undefined;
  if (v6) return isIP(v6[1]!) === 6 ? v6[1] : undefined;
  return m[1]!.replace(/\.$/, '');
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

function keyLevel(authorization: string, keys: readonly HttpApiKey[]): HttpApiKey['level'] | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m) return undefined;
  const given = digest(m[1]!);
  // Every key is compared (no early exit), each in constant time.
  let level: HttpApiKey['level'] | undefined;
  for (const k of keys) if (timingSafeEqual(given, digest(k.key)) && level === undefined) level = k.level;
  return level;
}

export function guardRequest(req: GuardRequest, settings: GuardSettings): GuardVerdict {
  if (req.host === undefined) return { ok: false, status: 400, error: 'host-required', reason: 'no Host header' };
  if ((req.hostFields ?? 1) > 1) return { ok: false, status: 400, error: 'duplicate-host', reason: `${req.hostFields} Host headers` };
  if (hostOf(req.host) === undefined) return { ok: false, status: 400, error: 'bad-host', reason: 'malformed Host header' };
  const authority = req.authority ?? req.host;
  const host = hostOf(authority);
  if (host === undefined) return { ok: false, status: 400, error: 'bad-host', reason: 'malformed authority in the request target' };
  if (isIP(host) === 0 && host !== 'localhost' && !settings.hostNames.has(host)) {
    return { ok: false, status: 403, error: 'host-not-allowed', reason: `Host ${host} is not a name of this server` };
  }
  let level: HttpApiKey['level'] | undefined;
  if (req.authorization !== undefined) {
    level = keyLevel(req.authorization, settings.apiKeys);
    if (level === undefined) return { ok: false, status: 401, error: 'bad-api-key', reason: 'Authorization does not carry a known http-api-key' };
  }
  const ok: GuardVerdict = level === undefined ? { ok: true } : { ok: true, keyLevel: level };
  // Safe methods (RFC 9110 §9.2.1): OPTIONS changes nothing either (the router answers it 405 with Allow).
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return ok;
  // State-changing from here on.
  const site = req.secFetchSite?.toLowerCase();
  if (site === 'cross-site' || site === 'same-site') return { ok: false, status: 403, error: 'cross-origin', reason: `Sec-Fetch-Site: ${site}` };
  if (req.origin !== undefined) {
    const same = [`http://${authority.trim().toLowerCase()}`, `https://${authority.trim().toLowerCase()}`];
    if (!same.includes(req.origin.trim().toLowerCase())) return { ok: false, status: 403, error: 'cross-origin', reason: `Origin ${req.origin} is not this server` };
    return ok;
  }
  if (level !== undefined || req.csrfHeader) return ok;
  return { ok: false, status: 403, error: 'csrf-header-required', reason: `a ${req.method} needs a same-origin Origin, the X-Vmta-Request header or an API key` };
}
