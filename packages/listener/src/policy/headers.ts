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
  for (let i = message.indexOf(LF); i !== -1; i = message.indexOf(LF, lineStart)) {
    const lineLength = i - lineStart;
    if (lineLength === 0 || (lineLength === 1 && message[lineStart] === CR)) {
      return { header: message.toString('latin1', 0, i + 1), bodyOffset: i + 1 };
    }
    lineStart = i + 1;
  }
  return { header: message.toString('latin1'), bodyOffset: message.length };
}

/** The header block of a message whose header ends `headerBytes` bytes in (the DATA collector found it). */
export function headerAt(message: Buffer, headerBytes: number): SplitHeader {
  return { header: message.toString('latin1', 0, headerBytes), bodyOffset: headerBytes };
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

/** A header block split into its fields once, for every look-up a message needs (parseHeader). */
export interface ParsedHeader {
  /** The block as a binary string. */
  readonly text: string;
  readonly fields: readonly Field[];
}

/** A header block as text, or already parsed: every function below takes either. */
export type HeaderBlock = string | ParsedHeader;

/** RFC 5322 §4.5.3 (obsolete syntax) allows white space between the name and the colon. */
const FIELD_NAME_RE = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/;

/** Splits a header block into fields (a field: its first line and its folded continuation lines). */
export function parseHeader(header: string): ParsedHeader {
  const out: Field[] = [];
  let ended = false;
  let start = 0;
  while (start < header.length) {
    const lf = header.indexOf('\n', start);
    const end = lf === -1 ? header.length : lf + 1;
    const line = header.slice(start, end);
    start = end;
    const last = out[out.length - 1];
    if (ended || line === '\n' || line === '\r\n') {
      ended = true;
      out.push({ raw: line });
    } else if ((line.charCodeAt(0) === 0x20 || line.charCodeAt(0) === 0x09) && last) {
      last.raw += line;
    } else {
      const m = FIELD_NAME_RE.exec(line);
      out.push(m?.[1] === undefined ? { raw: line } : { name: m[1].toLowerCase(), raw: line });
    }
  }
  return { text: header, fields: out };
}

function fields(header: HeaderBlock): readonly Field[] {
  return typeof header === 'string' ? parseHeader(header).fields : header.fields;
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
export function getHeaders(header: HeaderBlock, name: string): string[] {
  const key = name.toLowerCase();
  return fields(header)
    .filter((f) => f.name === key)
    .map((f) => valueOf(f.raw));
}

/** The first field with this name (case-insensitive), unfolded and trimmed; undefined when absent. */
export function getHeader(header: HeaderBlock, name: string): string | undefined {
  const key = name.toLowerCase();
  const field = fields(header).find((f) => f.name === key);
  return field === undefined ? undefined : valueOf(field.raw);
}

/**
 * Contents of every field with this name (case-insensitive), as received: everything after the colon, white
 * space and folding line breaks kept, only the field's final line end removed (what <pattern-list> header
 * rules match against).
 */
export function getRawHeaders(header: HeaderBlock, name: string): string[] {
  const key = name.toLowerCase();
  return fields(header)
    .filter((f) => f.name === key)
    .map((f) => f.raw.slice(f.raw.indexOf(':') + 1).replace(/\r?\n$/, ''));
}

export function hasHeader(header: HeaderBlock, name: string): boolean {
  const key = name.toLowerCase();
  return fields(header).some((f) => f.name === key);
}

/** How many fields have this name (case-insensitive). */
export function countHeaders(header: HeaderBlock, name: string): number {
  const key = name.toLowerCase();
  let n = 0;
  for (const f of fields(header)) if (f.name === key) n++;
  return n;
}

/** Removes every field with one of these names (case-insensitive), continuation lines included; the rest is untouched. */
export function removeHeaders(header: HeaderBlock, names: readonly string[]): string {
  const keys = names.map((n) => n.toLowerCase());
  return fields(header)
    .filter((f) => f.name === undefined || !keys.includes(f.name))
    .map((f) => f.raw)
    .join('');
}

/** Removes every field with this name (case-insensitive), continuation lines included; the rest is untouched. */
export function removeHeader(header: HeaderBlock, name: string): string {
  return removeHeaders(header, [name]);
}
