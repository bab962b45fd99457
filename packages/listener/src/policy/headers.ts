/**
 * Operations on a message's header block, never its body. The block is a "binary string" (latin1: one
 * character per byte) so every byte survives a round trip: re-encode with `encodeHeader()` and append
 * `message.subarray(bodyOffset)`. A field is its first line plus its folded continuation lines (starting
 * with SP or HTAB); line ends are kept as received (CRLF, or a bare LF).
 */

export interface SplitHeader {
  /** Header lines including the empty line that ends them (when there is one), as a binary string. */
  header: string;
  /** Where the body starts: `header.length`; the message length when it has no empty line. */
  bodyOffset: number;
}

const LF = 0x0a;
const CR = 0x0d;

/** Splits a message at the first empty line (CRLF CRLF, or LF LF); a message starting with one has no header. */
export function splitHeader(message: Buffer): SplitHeader {
  let lineStart = 0;
  for (let i = 0; i < message.length; i++) {
    if (message[i] !== LF) continue;
    const lineLength = i - lineStart;
    if (lineLength === 0 || (lineLength === 1 && message[lineStart] === CR)) {
      return { header: message.toString('latin1', 0, i + 1), bodyOffset: i + 1 };
    }
    lineStart = i + 1;
  }
  return { header: message.toString('latin1'), bodyOffset: message.length };
}

/** The bytes of a header block (or of generated ASCII header fields) for writing. */
export function encodeHeader(header: string): Buffer {
  return Buffer.from(header, 'latin1');
}

interface Field {
  /** Lowercased name; undefined for a line that is no field (no colon) or the ending empty line. */
  name?: string;
  /** The whole field, line ends included. */
  raw: string;
}

function lines(header: string): string[] {
  return header.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function isBlank(line: string): boolean {
  return line === '\n' || line === '\r\n';
}

function fields(header: string): Field[] {
  const out: Field[] = [];
  let ended = false;
  for (const line of lines(header)) {
    const last = out[out.length - 1];
    if (ended || isBlank(line)) {
      ended = true;
      out.push({ raw: line });
    } else if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
      last.raw += line;
    } else {
      // RFC 5322 §4.5.3 (obsolete syntax) allows white space between the name and the colon.
      const m = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/.exec(line);
      out.push(m?.[1] === undefined ? { raw: line } : { name: m[1].toLowerCase(), raw: line });
    }
  }
  return out;
}

/** A field's value: after the colon, unfolded (line breaks before white space removed), trimmed. */
function valueOf(raw: string): string {
  return raw
    .slice(raw.indexOf(':') + 1)
    .replace(/\r?\n(?=[ \t])/g, '')
    .replace(/\r?\n$/, '')
    .trim();
}

/** Values of every field with this name (case-insensitive), in order. */
export function getHeaders(header: string, name: string): string[] {
  const key = name.toLowerCase();
  return fields(header)
    .filter((f) => f.name === key)
    .map((f) => valueOf(f.raw));
}

/** The first field with this name (case-insensitive), unfolded and trimmed; undefined when absent. */
export function getHeader(header: string, name: string): string | undefined {
  return getHeaders(header, name)[0];
}

/**
 * Contents of every field with this name (case-insensitive), as received: everything after the colon, white
 * space and folding line breaks kept, only the field's final line end removed (what <pattern-list> header
 * rules match against).
 */
export function getRawHeaders(header: string, name: string): string[] {
  const key = name.toLowerCase();
  return fields(header)
    .filter((f) => f.name === key)
    .map((f) => f.raw.slice(f.raw.indexOf(':') + 1).replace(/\r?\n$/, ''));
}

export function hasHeader(header: string, name: string): boolean {
  const key = name.toLowerCase();
  return fields(header).some((f) => f.name === key);
}

/** Removes every field with this name (case-insensitive), continuation lines included; the rest is untouched. */
export function removeHeader(header: string, name: string): string {
  const key = name.toLowerCase();
  return fields(header)
    .filter((f) => f.name !== key)
    .map((f) => f.raw)
    .join('');
}
