/**
 * Text helpers for the notices we write ourselves (DSNs in delivery, backoff and source notices
 * here): RFC 5322 dates, folded header fields, wrapped lines (never over 998 octets), ASCII-only
 * field values. Pure.
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
