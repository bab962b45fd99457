/**
 * Header fields the listener adds: the Received trace field (RFC 5321 §4.4), Date and Message-ID
 * (RFC 5322 §3.3, §3.6.4). Each returns one complete field ending in CRLF, folded under 78 characters,
 * pure ASCII (so it can be joined to a header block kept as a latin1 binary string). Client-supplied values
 * are sanitized so they cannot break the field's syntax. No secret (passwords) is ever an input here.
 */

export type ReceivedProtocol = 'SMTP' | 'ESMTP' | 'ESMTPS' | 'ESMTPA' | 'ESMTPSA' | 'HTTP';

export interface ReceivedHeaderInput {
  /** The HELO/EHLO argument. */
  heloName: string;
  clientIp: string;
  /** The client's reverse DNS name, when known (smtp-server's `[ip]` fallback counts as unknown). */
  clientHostname?: string;
  /** Our host name (the listener's greeting name). */
  hostName: string;
  protocol: ReceivedProtocol;
  tls?: { protocol: string; cipher: string };
  /** The authenticated user name (never the password). */
  authUser?: string;
  queueId: string;
  /** Only when the message has exactly one recipient (RFC 5321 §7.2: never disclose a list). */
  recipient?: string;
  date: Date;
  /** hide-message-source: no FROM clause at all (HELO name, client address, reverse name) and no user. */
  hideSource: boolean;
}

const MAX_LINE = 78;
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** RFC 3848 protocol name: ESMTP plus S for TLS and A for AUTH; HELO sessions are plain SMTP. */
export function receivedProtocol(session: { esmtp: boolean; tls: boolean; authenticated: boolean }): ReceivedProtocol {
  if (!session.esmtp) return 'SMTP';
  if (session.tls) return session.authenticated ? 'ESMTPSA' : 'ESMTPS';
  return session.authenticated ? 'ESMTPA' : 'ESMTP';
}

/** RFC 5322 date-time in UTC, e.g. "Tue, 1 Jul 2003 10:52:37 +0000" (deterministic: no local zone). */
export function formatDate(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new TypeError('invalid date');
  const p2 = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[date.getUTCDay()]}, ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${p2(date.getUTCHours())}:${p2(date.getUTCMinutes())}:${p2(date.getUTCSeconds())} +0000`
  );
}

/** A host name, address literal or id: printable ASCII without comment, quote or separator characters. */
function token(value: string, fallback: string): string {
  const clean = value
    .trim()
    .replace(/[^\x21-\x7e]|[()<>;,"\\]/g, '?')
    .slice(0, 255);
  return clean || fallback;
}

/** Text inside a comment: printable ASCII, with ( ) \ escaped as quoted pairs (RFC 5322 §3.2.2). */
function commentText(value: string): string {
  return value
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/[()\\]/g, '\\$&')
    .trim()
    .slice(0, 255);
}

/** An address literal for the client IP: [192.0.2.1] or [IPv6:2001:db8::1]; IPv4-mapped IPv6 as IPv4. */
function ipLiteral(ip: string): string {
  const bare = ip.trim().replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare);
  if (mapped) return `[${mapped[1]}]`;
  if (bare.includes(':')) return `[IPv6:${token(bare.replace(/^ipv6:/i, ''), 'unknown')}]`;
  return `[${token(bare, 'unknown')}]`;
}

/** Joins clauses with spaces, breaking lines (CRLF TAB) between clauses, or between words of a long one. */
export function foldField(name: string, clauses: readonly string[]): string {
  const out: string[] = [];
  let line = `${name}:`;
  let empty = true;
  for (const clause of clauses) {
    const pieces = clause.length + 2 > MAX_LINE ? clause.split(' ').filter(Boolean) : [clause];
    for (const piece of pieces) {
      if (empty || line.length + 1 + piece.length <= MAX_LINE) {
        line += ` ${piece}`;
      } else {
        out.push(line);
        line = `\t${piece}`;
      }
      empty = false;
    }
  }
  out.push(line);
  return `${out.join('\r\n')}\r\n`;
}

export function buildReceivedHeader(input: ReceivedHeaderInput): string {
  const clauses: string[] = [];
  if (!input.hideSource) {
    const ip = ipLiteral(input.clientIp);
    const rdns = input.clientHostname?.trim();
    const known = rdns && !rdns.startsWith('[') ? `${token(rdns, 'unknown')} ` : '';
    clauses.push(`from ${token(input.heloName, 'unknown')}`, `(${known}${ip})`);
  }
  clauses.push(`by ${token(input.hostName, 'localhost')}`, `with ${input.protocol}`);
  if (input.tls) {
    clauses.push(`(version=${commentText(input.tls.protocol)} cipher=${commentText(input.tls.cipher)})`);
  }
  if (input.authUser !== undefined && !input.hideSource) clauses.push(`(authenticated as ${commentText(input.authUser)})`);
  clauses.push(`id ${token(input.queueId, 'unknown')}`);
  const rcpt = input.recipient?.trim();
  if (rcpt && /^[\x21-\x7e]+$/.test(rcpt) && !/[<>]/.test(rcpt)) clauses.push(`for <${rcpt}>`);
  clauses[clauses.length - 1] += ';';
  clauses.push(formatDate(input.date));
  return foldField('Received', clauses);
}

export function dateHeader(date: Date): string {
  return `Date: ${formatDate(date)}\r\n`;
}

/** `Message-ID: <queueId@hostName>`; both parts reduced to dot-atom text. */
export function messageIdHeader(queueId: string, hostName: string): string {
  const dotAtom = (s: string, fallback: string) =>
    s
      .replace(/[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]/g, '')
      .replace(/\.{2,}/g, '.')
      .replace(/^\.|\.$/g, '') || fallback;
  return `Message-ID: <${dotAtom(queueId, 'unknown')}@${dotAtom(hostName, 'localhost')}>\r\n`;
}
