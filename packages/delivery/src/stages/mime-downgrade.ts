/**
 * RFC 6152 §3: 8-bit message data may only go to a next hop that offers 8BITMIME; otherwise a relay
 * converts it to 7 bits or returns it. As Postfix does, the body is converted: every MIME leaf whose
 * body holds 8-bit bytes (declared 7bit, 8bit, binary or nothing) is encoded quoted-printable and its
 * Content-Transfer-Encoding says so; multipart bodies and message/rfc822 parts are walked. A message
 * without MIME headers is one text leaf (MIME-Version: 1.0 is added). The header section is left as it
 * is (8-bit there cannot be encoded without knowing the charset; Postfix sends it as it is too).
 *
 * RFC 5321 §4.5.3.1.6 / RFC 5322 §2.1.1: no line may be longer than 998 octets (CRLF excluded), whatever
 * the next hop offers. Postfix breaks longer lines where they are (smtp_line_length_limit), which breaks a
 * DKIM signature made before and can change the content; here, before signing, a leaf with such a line is
 * encoded quoted-printable in the same way (a quoted-printable one gets soft breaks, a base64 one is
 * re-wrapped: the decoded content is unchanged). A header line is folded at its last white space within the
 * limit (unfolding gives the same value back). Only where no such way exists (a header line with no white
 * space, a preamble or epilogue line, a part in another encoding) is the line broken as Postfix breaks it:
 * CRLF and a space inserted after 998 octets.
 *
 * A NUL may not be sent in any case (RFC 5321 §4.5.2 / RFC 6152 §2: 8BITMIME allows 8-bit bytes but no NUL; only
 * BINARYMIME does): a leaf whose body holds one is encoded quoted-printable in the same way (=00; a quoted-printable
 * leaf gets =00 in place, from any other encoding the NUL is dropped), and a NUL in a header section, a preamble or
 * an epilogue is dropped. So the bytes signed are the bytes sent: a next hop or a verifier that strips or rejects
 * NUL cannot break the signature.
 *
 * Works on latin1 strings: one char per byte, so no byte is changed unless it is encoded.
 */
import { isAscii } from 'node:buffer';

const CRLF = '\r\n';
const CRLF_BYTES = Buffer.from(CRLF);
const BLANK_LINE = Buffer.from('\r\n\r\n');
const EIGHT_BIT = /[\x80-\xff]/;
const NUL = /\x00/;
const NULS = /\x00/g;

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

/** RFC 5322 §2.1.1: octets on a line, the CRLF not counted. */
export const MAX_LINE = 998;

/**
 * True when a line of the message (header or body) is longer than 998 octets (no copy is made). On the path
 * of every message: one search per 1,000 octets, not one per line (the last LF within reach of the line start).
 */
export function hasLongLine(message: Buffer): boolean {
  for (let start = 0; message.length - start > MAX_LINE; ) {
    // A line of 998 octets ends with its LF at start + 999 (after a CR) at the latest.
    const nl = message.lastIndexOf(10, start + MAX_LINE + 1);
    if (nl < start) {
      // No LF within reach: too long, unless this is the unterminated last line of 998 octets and a CR.
      return !(message.length - start === MAX_LINE + 1 && message[message.length - 1] === 13);
    }
    // 999 octets and a bare LF, when that LF ends the line that starts here (no LF before it within reach).
    if (nl === start + MAX_LINE + 1 && message[nl - 1] !== 13 && message.lastIndexOf(10, nl - 1) < start) return true;
    start = nl + 1;
  }
  return false;
}

function longLineIn(s: string): boolean {
  if (s.length <= MAX_LINE) return false;
  for (let start = 0; ; ) {
    const nl = s.indexOf('\n', start);
    const end = nl < 0 ? s.length : nl;
    const length = end > start && s.charCodeAt(end - 1) === 13 ? end - start - 1 : end - start;
    if (length > MAX_LINE) return true;
    if (nl < 0) return false;
    start = nl + 1;
  }
}

interface Conversion {
  /** The next hop offers 8BITMIME: 8-bit parts stay as they are unless a line is too long. */
  eightBitOk: boolean;
}

/**
 * The message as it may go to the next hop (the same Buffer when it already may): without 8BITMIME its
 * 8-bit body parts encoded quoted-printable, and in any case no line over 998 octets.
 */
export function fitForNextHop(message: Buffer, eightBitOk: boolean): Buffer {
  if (!hasLongLine(message) && (eightBitOk || !bodyHas8bit(message)) && !message.includes(0)) return message;
  return Buffer.from(convertEntity(message.toString('latin1'), true, { eightBitOk }), 'latin1');
}

/** The message with its 8-bit body parts encoded quoted-printable (the same Buffer when there are none). */
export function downgradeTo7bit(message: Buffer): Buffer {
  return fitForNextHop(message, false);
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

function convertEntity(s: string, top: boolean, how: Conversion): string {
  const start = bodyStart(s);
  // The header section keeps the CRLF of its last line; the blank line is put back between the two.
  let head = start === s.length ? s : s.slice(0, start - 2);
  let body = s.slice(start);
  head = foldLongHeaderLines(head.replace(NULS, ''));
  const longLine = longLineIn(body);
  const nul = NUL.test(body);
  if (!longLine && !nul && (how.eightBitOk || !EIGHT_BIT.test(body))) return start === s.length ? head : head + CRLF + body;
  const type = (headerValue(head, 'content-type') ?? '').toLowerCase();
  const encoding = (headerValue(head, 'content-transfer-encoding') ?? '7bit').toLowerCase();
  const boundary = type.startsWith('multipart/') ? parameter(headerValue(head, 'content-type')!, 'boundary') : undefined;
  // A container's 7bit is only right when nothing 8-bit is left in it (with 8BITMIME, 8-bit parts stay).
  if (boundary !== undefined) {
    body = convertMultipart(body, boundary, how);
    if (encoding !== '7bit' && !how.eightBitOk) head = withEncoding(head, '7bit');
  } else if (type.startsWith('message/rfc822')) {
    body = convertEntity(body, false, how);
    if (encoding !== '7bit' && !how.eightBitOk) head = withEncoding(head, '7bit');
  } else if (encoding === '7bit' || encoding === '8bit' || encoding === 'binary') {
    body = encodeQuotedPrintable(body);
    head = withEncoding(head, 'quoted-printable');
    if (top && headerValue(head, 'mime-version') === undefined) head += `MIME-Version: 1.0${CRLF}`;
  } else if (!longLine && !nul) {
    return s; // base64 or quoted-printable holding 8-bit bytes: broken, left to the caller
  } else if (encoding === 'quoted-printable') {
    body = mapLongLines(body.replace(NULS, '=00'), softBreak);
  } else if (encoding === 'base64') {
    body = mapLongLines(body.replace(NULS, ''), (line) => line.replace(/.{76}(?!$)/g, `$&${CRLF}`));
  } else {
    body = mapLongLines(body.replace(NULS, ''), hardBreak);
  }
  return head + CRLF + body;
}

/** The text with each line over 998 octets replaced by `fix(line)`. */
function mapLongLines(text: string, fix: (line: string) => string): string {
  if (!longLineIn(text)) return text;
  return text
    .split(CRLF)
    .map((line) => (line.length > MAX_LINE ? fix(line) : line))
    .join(CRLF);
}

/** Postfix's smtp_line_length_limit: CRLF and a space after every 998 octets. */
function hardBreak(line: string): string {
  let out = line.slice(0, MAX_LINE);
  for (let i = MAX_LINE; i < line.length; i += MAX_LINE - 1) out += `${CRLF} ${line.slice(i, i + MAX_LINE - 1)}`;
  return out;
}

/** A quoted-printable line with soft breaks ("=" CRLF) every 75 chars at most, never inside an "=XX". */
function softBreak(line: string): string {
  let out = '';
  let len = 0;
  for (let i = 0; i < line.length; ) {
    const n = line[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(line.slice(i + 1, i + 3)) ? 3 : 1;
    if (len + n > 75 && i + n < line.length) {
      out += `=${CRLF}`;
      len = 0;
    }
    out += line.slice(i, i + n);
    len += n;
    i += n;
  }
  return out;
}

/**
 * A header section with every line over 998 octets folded (RFC 5322 §2.2.3): CRLF put before the last
 * white space within the limit that leaves something other than white space on the line; where there is
 * none, broken as Postfix breaks it (the value then gets a space).
 */
function foldLongHeaderLines(head: string): string {
  if (!longLineIn(head)) return head;
  return mapLongLines(head, (line) => {
    const pieces: string[] = [];
    let rest = line;
    while (rest.length > MAX_LINE) {
      const firstText = rest.search(/[^ \t]/);
      let cut = -1;
      for (let i = MAX_LINE; i > firstText && cut < 0; i--) if (rest[i] === ' ' || rest[i] === '\t') cut = i;
      if (cut > 0) {
        pieces.push(rest.slice(0, cut));
        rest = rest.slice(cut);
      } else {
        pieces.push(rest.slice(0, MAX_LINE));
        rest = ` ${rest.slice(MAX_LINE)}`;
      }
    }
    pieces.push(rest);
    return pieces.join(CRLF);
  });
}

function convertMultipart(body: string, boundary: string, how: Conversion): string {
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
    if (part) pieces.push(convertEntity(part.join(CRLF), false, how));
    else if (i > 0) pieces.push(mapLongLines(preamble.join(CRLF).replace(NULS, ''), hardBreak));
    pieces.push(line);
    part = [];
    preamble = [];
    if (bare === close) {
      pieces.push(...lines.slice(i + 1).map((l) => l.replace(NULS, '')).map((l) => (l.length > MAX_LINE ? hardBreak(l) : l)));
      return pieces.join(CRLF);
    }
  }
  if (part) pieces.push(convertEntity(part.join(CRLF), false, how));
  else pieces.push(mapLongLines(preamble.join(CRLF).replace(NULS, ''), hardBreak));
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
