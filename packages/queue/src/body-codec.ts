/**
 * Message bodies are stored once per message, compressed when that saves at least a tenth. The writer's
 * choice is the operator's (`body-compression`, BodyCompression): deflate at level 1, or Huffman coded
 * alone when a sample of a large body shows that level 1's string matching does not pay; zstd
 * (body-zstd.ts); or none. Every reader decodes all three encodings, whatever it writes.
 */
import { promisify } from 'node:util';
import { deflateRaw, deflateRawSync, inflateRawSync, constants } from 'node:zlib';
import { zstdCompress, zstdCompressSync, zstdDecompressSync } from './body-zstd.js';
import { BodyEncodingError } from './errors.js';

const deflateRawAsync = promisify(deflateRaw);
/**
 * Level 1: on text bodies of 5 KB–2 MB it deflates in about half the CPU of level 3 (50 KB: 0.45 against
 * 0.9 ms; 2 MB: 18 against 45 ms) for about 5 % more stored bytes (ratio 0.36 against 0.35); deflate was
 * about a quarter of the listener's CPU on the size-mix load. Inflate reads any level.
 */
const DEFLATE_OPTIONS = { level: 1, strategy: constants.Z_DEFAULT_STRATEGY };

/**
 * Bytes that level 1's string matching cannot shorten, such as a base64 attachment (most of a large
 * message's bytes): Huffman coding alone stores them as small (about 0.76 of base64, as level 1 does) in
 * a quarter of the CPU (2 MB: 8 against 38 ms), and text in about 0.53 of its size (level 1: 0.36).
 * Any inflate reads it.
 */
const HUFFMAN_OPTIONS = { level: 1, strategy: constants.Z_HUFFMAN_ONLY };

/** Bodies from this size on are sampled (their last SAMPLE_BYTES deflated at level 1) to choose the coding. */
export const SAMPLE_FROM_BYTES = 64 * 1024;
const SAMPLE_BYTES = 8 * 1024;

/** A sample that level 1 leaves at this share of its size or more is Huffman coded (text: 0.36–0.41, base64: 0.76). */
export const HUFFMAN_FROM_RATIO = 0.6;

/**
 * The deflate window fitted to the body: a window that reaches back over the whole body (zlib's
 * farthest match is the window size less MIN_LOOKAHEAD, 262 bytes) finds every match the full 32 KB
 * window would, so the same bytes come out, and zlib's set-up allocates less per call (window and
 * chains scale with it): most bodies are a few KB, and each deflate is a fresh engine.
 */
export function deflateOptionsFor(bytes: number, sampleRatio?: number): typeof DEFLATE_OPTIONS & { windowBits?: number } {
  const options = sampleRatio !== undefined && sampleRatio >= HUFFMAN_FROM_RATIO ? HUFFMAN_OPTIONS : DEFLATE_OPTIONS;
  let windowBits = 9;
  while (windowBits < 15 && (1 << windowBits) - 262 < bytes) windowBits++;
  return windowBits < 15 ? { ...options, windowBits } : options;
}

/** What level 1 leaves of the body's last SAMPLE_BYTES (a share of their size), for a body of SAMPLE_FROM_BYTES or more. */
export function sampleRatioOf(body: Buffer): number | undefined {
  if (body.length < SAMPLE_FROM_BYTES) return undefined;
  const sample = body.subarray(body.length - SAMPLE_BYTES);
  return deflateRawSync(sample, deflateOptionsFor(SAMPLE_BYTES)).length / SAMPLE_BYTES;
}

/**
 * Bodies from this size on are deflated on libuv's thread pool: a 25 MB message deflated on the event
 * loop would stall every other session of the listener for a large part of a second. Below it the
 * synchronous call is cheaper (the asynchronous path builds a stream per call; measured in the bench).
 */
export const OFF_LOOP_BYTES = 256 * 1024;

/**
 * zstd bodies from this size on are compressed on libuv's thread pool (deflate's OFF_LOOP_BYTES does not
 * apply): the addon's asynchronous call costs the event loop about 20–30 µs whatever the size, the
 * synchronous one about 3 µs per KB (measured alone: 16 KB 47 against 20 µs, 32 KB 95 against 31, 50 KB 135
 * against 31), at the price of about 50–110 µs more CPU in all (the pool's hand-off and a fresh encoder). The
 * event loop is what caps the listener's accepted rate; 5 KB bodies (80 % of the size mix) stay on it.
 */
export const ZSTD_OFF_LOOP_BYTES = 32 * 1024;

/** How a body is stored: the meta's `enc` (none: raw). */
export type BodyEncoding = 'raw' | 'deflate' | 'zstd';

/** What decodeBody reads: every process says so in its process-registry record (`bodyEncodings`). */
export const READABLE_BODY_ENCODINGS: readonly BodyEncoding[] = ['raw', 'deflate', 'zstd'];

/**
 * What a writer compresses bodies with (the `body-compression` directive). Only a process that reads
 * zstd may be handed zstd bodies: versions before it send a body of an unknown encoding as stored.
 */
export type BodyCompression = 'deflate' | 'zstd' | 'none';

type Encoded = { data: Buffer; encoding: BodyEncoding };

export function encodeBody(body: Buffer, minBytes = 1024, compression: BodyCompression = 'deflate'): Encoded {
  if (body.length < minBytes || compression === 'none') return { data: body, encoding: 'raw' };
  if (compression === 'zstd') return chosen(body, zstdCompressSync(body), 'zstd');
  return chosen(body, deflateRawSync(body, deflateOptionsFor(body.length, sampleRatioOf(body))), 'deflate');
}

/** encodeBody, off the event loop for a body of OFF_LOOP_BYTES (zstd: ZSTD_OFF_LOOP_BYTES) or more; the same result. */
export async function encodeBodyOffLoop(body: Buffer, minBytes = 1024, compression: BodyCompression = 'deflate'): Promise<Encoded> {
  if (body.length < minBytes || compression === 'none') return encodeBody(body, minBytes, compression);
  if (compression === 'zstd') return body.length < ZSTD_OFF_LOOP_BYTES ? encodeBody(body, minBytes, compression) : chosen(body, await zstdCompress(body), 'zstd');
  if (body.length < OFF_LOOP_BYTES) return encodeBody(body, minBytes, compression);
  return chosen(body, await deflateRawAsync(body, { ...deflateOptionsFor(body.length, sampleRatioOf(body)), chunkSize: zlibChunkBytes(body.length) }), 'deflate');
}

/**
 * zlib's output buffer for a result of about `bytes`: the whole result in one buffer. With zlib's
 * default 16 KB, an asynchronous deflate of 2 MB makes a thread-pool round trip and a main-thread
 * callback per 16 KB of output (size-mix profile: `processCallback` 9 % of the listener; alone: 5.4 ms
 * of event loop and 24 ms CPU per 2 MB against 1.3 and 17 with one buffer), and a synchronous inflate
 * gathers 16 KB pieces and concatenates them (50 KB: 0.12 against 0.07 ms). A wrong size only costs
 * more pieces; the bytes are the same. Bounded below by zlib's minimum and above by 64 MB.
 */
export function zlibChunkBytes(bytes: number): number {
  return Math.min(Math.max(Math.ceil(bytes), constants.Z_MIN_CHUNK, 16 * 1024), 64 * 1024 * 1024);
}

function chosen(body: Buffer, packed: Buffer, encoding: 'deflate' | 'zstd'): Encoded {
  return packed.length <= body.length * 0.9 ? { data: packed, encoding } : { data: body, encoding: 'raw' };
}

/**
 * The stored body back; `size` (the meta's byte count of the body, when known) sizes inflate's buffer.
 * `encoding` is the meta's `enc` as stored (none: raw, as versions before deflate wrote it). Any other
 * encoding, or bytes that do not decompress, throw BodyEncodingError: a body this version cannot read
 * must never go out as the bytes stored.
 */
export function decodeBody(data: Buffer, encoding: string | undefined, size?: number): Buffer {
  if (encoding === undefined || encoding === 'raw') return data;
  if (encoding === 'zstd') return unzstd(data, size);
  if (encoding !== 'deflate') throw new BodyEncodingError(`the body is stored as "${encoding}", an encoding this version cannot read (written by a newer version?)`, encoding);
  const bytes = size !== undefined && Number.isFinite(size) && size > 0 ? size : 0;
  try {
    return bytes > 0 ? inflateRawSync(data, { chunkSize: zlibChunkBytes(bytes) }) : inflateRawSync(data);
  } catch (err) {
    throw new BodyEncodingError(`the deflated body does not inflate: ${(err as Error).message}`, encoding, { cause: err });
  }
}

/** zstd frames are stored without a checksum: a known size (the meta's, always the body's length) is checked. */
function unzstd(data: Buffer, size: number | undefined): Buffer {
  let body: Buffer;
  try {
    body = zstdDecompressSync(data);
  } catch (err) {
    throw new BodyEncodingError(`the zstd body does not decompress: ${(err as Error).message}`, 'zstd', { cause: err });
  }
  if (size !== undefined && Number.isFinite(size) && size > 0 && body.length !== size) {
    throw new BodyEncodingError(`the zstd body decompresses to ${body.length} bytes, not the ${size} stored with it`, 'zstd');
  }
  return body;
}
