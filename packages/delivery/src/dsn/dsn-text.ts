/**
 * Text helpers for notifications: RFC 5322 dates, folded header fields, wrapped lines (never over
 * 998 octets), ASCII-only field values, and the returned part of the original message. Pure.
 */

/** RFC 5321 §4.5.3.1.6: at most 998 octets per line, CRLF excluded. */
export const MAX_LINE_OCTETS = 998;
/** Longest piece of a single word on a line: even in UTF-8 (4 octets a character) a line stays below 998. */
const MAX_WORD = 240;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Tue, 02 Jan 2024 03:04:05 +0000" (RFC 5322 date-time, in UTC). */
export function rfc5322Date(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${time} +0000`;
}

/**
 * Printable ASCII only: line breaks and tabs become spaces, other control characters are dropped,
 * and non-ASCII characters are written as RFC 6533 embedded-unicode-chars (\x{HHHH}).
 */
export function asciiText(value: string): string {
  let out = '';
  for (const ch of value.replace(/[\r\n\t]+/g, ' ')) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp > 0x7f) out += `\\x{${cp.toString(16).toUpperCase().padStart(4, '0')}}`;
  }
  return out;
}

function words(text: string): string[] {
  const out: string[] = [];
  for (const word of text.split(' ')) {
    const chars = [...word];
    for (let i = 0; i < chars.length; i += MAX_WORD) out.push(chars.slice(i, i + MAX_WORD).join(''));
  }
  return out.filter((w) => w.length > 0);
}

/** Words put on lines of at most `width` characters where the words allow; `indent` starts each next line. */
function fill(first: string, text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let cur = first;
  let fresh = true;
  for (const word of words(text)) {
    const sep = cur.length === 0 ? '' : ' ';
    if (!fresh && cur.length + sep.length + word.length > width) {
      lines.push(cur);
      cur = indent + word;
    } else {
      cur += sep + word;
    }
    fresh = false;
  }
  lines.push(cur);
  return lines;
}

/** "Name: value", ASCII only, folded at spaces to 78 characters where possible. */
export function headerField(name: string, value: string): string {
  return fill(`${name}:`, asciiText(value), 78, ' ').join('\r\n');
}

/** A paragraph wrapped at 76 characters where possible (it may keep non-ASCII text). */
export function wrapText(text: string, indent = ''): string {
  return fill('', text.replace(/[\r\n\t]+/g, ' '), 76, indent).join('\r\n');
}

/** True when the bytes may stand in a 7bit or 8bit MIME part: no NUL, CRLF line ends only, lines ≤ 998. */
export function isLineSafe(data: Buffer): boolean {
  let lineStart = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (b === 0) return false;
    if (b === 0x0d) {
      if (data[i + 1] !== 0x0a) return false;
      if (i - lineStart > MAX_LINE_OCTETS) return false;
      lineStart = i + 2;
      i++;
    } else if (b === 0x0a) {
      return false;
    }
  }
  return data.length - lineStart <= MAX_LINE_OCTETS;
}

export function has8bit(data: Buffer): boolean {
  return data.some((b) => b > 0x7f);
}

/** The header section of a message (without the empty line), whatever its line ends. */
export function headerSection(message: Buffer): Buffer {
  const text = message.toString('latin1');
  if (text.startsWith('\r\n') || text.startsWith('\n')) return Buffer.alloc(0);
  const crlf = text.indexOf('\r\n\r\n');
  const lf = text.indexOf('\n\n');
  const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 2 : lf >= 0 ? lf + 1 : text.length;
  return message.subarray(0, end);
}

/**
 * Header fields made safe for a text/rfc822-headers part: CRLF line ends, no NUL, lines cut at
 * 998 octets, and only whole fields (with their folded lines) that fit in `maxBytes`.
 */
export function returnableHeaders(message: Buffer, maxBytes: number): Buffer {
  const lines = headerSection(message)
    .toString('latin1')
    .replace(/\0/g, '')
    .split(/\r?\n/)
    .map((l) => l.replace(/\r/g, ' ').slice(0, MAX_LINE_OCTETS));
  const fields: string[] = [];
  for (const line of lines) {
    if (line.length === 0) continue;
    if (/^[ \t]/.test(line) && fields.length > 0) fields[fields.length - 1] += `\r\n${line}`;
    else fields.push(line);
  }
  let out = '';
  for (const field of fields) {
    if (out.length + field.length + 2 > maxBytes) break;
    out += `${field}\r\n`;
  }
  return Buffer.from(out, 'latin1');
}
