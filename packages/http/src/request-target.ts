/**
 * The request target (RFC 9112 §3.2), read once for the router (pure):
 * - origin-form `/path?query`, what browsers and curl send;
 * - absolute-form `http://host:port/path?query`, what a client talking through a proxy sends: a server MUST
 *   accept it (§3.2.2), and its authority then stands for the Host header;
 * - asterisk-form `*`, only for `OPTIONS *` (the server as a whole).
 * Anything else (no leading `/`, another scheme, user info in the authority) is undefined: a 400.
 */
export interface RequestTarget {
  /** The raw (still percent-encoded) path: `/status`, or `*`. */
  path: string;
  /** What follows `?`, without it. */
  query: string;
  /** The authority of an absolute-form target (`127.0.0.1:8080`). */
  authority?: string;
}

const ABSOLUTE = /^https?:\/\/([^/?#@]*)(\/[^?#]*)?(?:\?([^#]*))?(?:#.*)?$/i;

export function readTarget(url: string): RequestTarget | undefined {
  if (url === '*') return { path: '*', query: '' };
  if (url.startsWith('/')) {
    const q = url.indexOf('?');
    return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
  }
  const m = ABSOLUTE.exec(url);
  if (!m || m[1] === '') return undefined;
  return { path: m[2] ?? '/', query: m[3] ?? '', authority: m[1]! };
}
