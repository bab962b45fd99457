/**
 * RFC 6152 §3: 8-bit message data may only go to a next hop that offers 8BITMIME; otherwise a relay
 * converts it to 7 bits or returns it. As Postfix does, the body is converted: every MIME leaf whose
 * body holds 8-bit bytes (declared 7bit, 8bit, binary or nothing) is encoded quoted-printable and its
 * Content-Transfer-Encoding says so; multipart bodies and message/rfc822 parts are walked. A message
 * without MIME headers is one text leaf (MIME-Version: 1.0 is added). The header section is left as it
 * is (8-bit there cannot be encoded without knowing the charset; Postfix sends it as it is too).
 * Works on latin1 strings: one char per byte, so no byte is changed unless it is encoded.
 */
import { isAscii } from 'node:buffer';

const CRLF = '\r\n';
const CRLF_BYTES = Buffer.from(CRLF);
const BLANK_LINE = Buffer.from('\r\n\r\n');
const EIGHT_BIT = /[\x80-\xff]/;

/** Where the body starts: after the blank line that ends the header section (the end when there is none). */
function bodyStart(s: string): number {
  if (s.startsWith(CRLF)) return 2;
  const end = s.indexOf('\r\n\r\n');
  return end < 0 ? s.length : end + 4;
}

/** True when the message body (not the header section) holds a byte over 127 (no copy of the message is made). */
export function bodyHas8bit(message: Buffer): boolean {
  const start = message.subarray(0, 2).equals(CRLF_BYTES) ? 2 : message.indexOf(BLANK_LINE);
  if (start < 0) return false;
  return !isAscii(message.subarray(start === 2 ? 2 : start + 4));
}

/** The message with its 8-bit body parts encoded quoted-printable (the same Buffer when there are none). */
export function downgradeTo7bit(message: Buffer): Buffer {
  if (!bodyHas8bit(message)) return message;
  return Buffer.from(convertEntity(message.toString('latin1'), true), 'latin1');
}

const headerRe = (name: string): RegExp => new RegExp(`^${name}[ \\t]*:([^\\r\\n]*(?:\\r\\n[ \\t][^\\r\\n]*)*)(?:\\r\\n|$)`, 'im');

function headerValue(head: string, name: string): string | undefined {
  return headerRe(name).exec(head)?.[1]?.replace(/\r\n/g, '').trim();
}

/** A parameter of a structured header value (`boundary="x"`). */
function parameter(value: string, name: string): string | undefined {
  const m = new RegExp(`;\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^\\s;]+))`, 'i').exec(value);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
}

/** The header section with Content-Transfer-Encoding set to `value` (replaced where it is, else added last). */
function withEncoding(head: string, value: string): string {
  const line = `Content-Transfer-Encoding: ${value}${CRLF}`;
  const re = headerRe('content-transfer-encoding');
  return re.test(head) ? head.replace(re, line) : head + line;
}

function convertEntity(s: string, top: boolean): string {
  const start = bodyStart(s);
  // The header section keeps the CRLF of its last line; the blank line is put back between the two.
  let head = start === s.length ? s : s.slice(0, start - 2);
  let body = s.slice(start);
  if (!EIGHT_BIT.test(body)) return s;
  const type = (headerValue(head, 'content-type') ?? '').toLowerCase();
  const encoding = (headerValue(head, 'content-transfer-encoding') ?? '7bit').toLowerCase();
  const boundary = type.startsWith('multipart/') ? parameter(headerValue(head, 'content-type')!, 'boundary') : undefined;
  if (boundary !== undefined) {
    body = convertMultipart(body, boundary);
    if (encoding !== '7bit') head = withEncoding(head, '7bit');
  } else if (type.startsWith('message/rfc822')) {
    body = convertEntity(body, false);
    if (encoding !== '7bit') head = withEncoding(head, '7bit');
  } else if (encoding === '7bit' || encoding === '8bit' || encoding === 'binary') {
    body = encodeQuotedPrintable(body);
    head = withEncoding(head, 'quoted-printable');
    if (top && headerValue(head, 'mime-version') === undefined) head += `MIME-Version: 1.0${CRLF}`;
  } else {
    return s; // base64 or quoted-printable holding 8-bit bytes: broken, left to the caller
  }
  return head + CRLF + body;
}

function convertMultipart(body: string, boundary: string): string {
  const open = `--${boundary}`;
  const close = `--${boundary}--`;
  const lines = body.split(CRLF);
  const pieces: string[] = [];
  let part: string[] | undefined;
  let preamble: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const bare = line.replace(/[ \t]+$/, '');
    if (bare !== open && bare !== close) {
      (part ?? preamble).push(line);
      continue;
    }
    if (part) pieces.push(convertEntity(part.join(CRLF), false));
    else if (i > 0) pieces.push(preamble.join(CRLF));
    pieces.push(line);
    part = [];
    preamble = [];
    if (bare === close) {
      pieces.push(...lines.slice(i + 1));
      return pieces.join(CRLF);
    }
  }
  if (part) pieces.push(convertEntity(part.join(CRLF), false));
  else pieces.push(preamble.join(CRLF));
  return pieces.join(CRLF);
}

const HEX = '0123456789ABCDEF';

/** RFC 2045 §6.7 quoted-printable of CRLF-separated text: lines of at most 76 chars, soft breaks "=". */
export function encodeQuotedPrintable(text: string): string {
  return text.split(CRLF).map(encodeLine).join(CRLF);
}

function encodeLine(line: string): string {
  let out = '';
  let len = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    const literal = (c >= 33 && c <= 126 && c !== 61) || ((c === 32 || c === 9) && i < line.length - 1);
    const token = literal ? line[i]! : `=${HEX[c >> 4]}${HEX[c & 15]}`;
    if (len + token.length > 75) {
      out += `=${CRLF}`;
      len = 0;
    }
    out += token;
    len += token.length;
  }
  return out;
}
