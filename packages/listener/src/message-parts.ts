/**
 * A message as the chunks it arrived in. The DATA collector keeps the chunks and buildMessage joins them
 * once, into what is queued (our header fields in front): one copy of the body in the listener where a
 * join in the collector and another in buildMessage made two (≈ 1–2 % of the listener on the size mix).
 */

export interface MessageParts {
  /** The message's bytes, in order; not to be changed. */
  readonly chunks: readonly Buffer[];
  readonly bytes: number;
}

/** What buildMessage and acceptMessage take: one buffer (HTTP injection, tests) or the collector's chunks. */
export type MessageBytes = Buffer | MessageParts;

export function chunksOf(message: MessageBytes): readonly Buffer[] {
  return Buffer.isBuffer(message) ? [message] : message.chunks;
}

/** The message as one buffer: itself, its only chunk, or the chunks joined (a copy). */
export function joinMessage(message: MessageBytes): Buffer {
  if (Buffer.isBuffer(message)) return message;
  if (message.chunks.length === 1) return message.chunks[0]!;
  return Buffer.concat(message.chunks as Buffer[], message.bytes);
}

/** Bytes [0, end) of the chunks as a binary (latin1) string. */
export function latin1Prefix(chunks: readonly Buffer[], end: number): string {
  const first = chunks[0];
  if (first && first.length >= end) return first.toString('latin1', 0, end);
  let out = '';
  let left = end;
  for (const c of chunks) {
    if (left <= 0) break;
    out += c.toString('latin1', 0, Math.min(left, c.length));
    left -= c.length;
  }
  return out;
}

/** The chunks' bytes from offset `from` on, as views of them (no copy). */
export function chunksFrom(chunks: readonly Buffer[], from: number): Buffer[] {
  const out: Buffer[] = [];
  let skip = from;
  for (const c of chunks) {
    if (skip >= c.length) {
      skip -= c.length;
      continue;
    }
    out.push(skip > 0 ? c.subarray(skip) : c);
    skip = 0;
  }
  return out;
}
