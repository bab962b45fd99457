/**
 * Text helpers for DSNs: the generic ones (dates, folded fields, wrapped lines) live with the
 * other notices in queue/src/notice-text.ts; here the returned part of the original message. Pure.
 */
import { MAX_LINE_OCTETS } from '@vmta/queue';

export { asciiText, headerField, MAX_LINE_OCTETS, rfc5322Date, wrapText } from '@vmta/queue';

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
