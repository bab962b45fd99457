/** Message bodies are stored once per message, deflated when that saves at least a tenth. */
import { promisify } from 'node:util';
import { deflateRaw, deflateRawSync, inflateRawSync, constants } from 'node:zlib';

const deflateRawAsync = promisify(deflateRaw);
/**
 * Level 1: on text bodies of 5 KB–2 MB it deflates in about half the CPU of level 3 (50 KB: 0.45 against
 * 0.9 ms; 2 MB: 18 against 45 ms) for about 5 % more stored bytes (ratio 0.36 against 0.35); deflate was
 * about a quarter of the listener's CPU on the size-mix load. Inflate reads any level.
 */
const DEFLATE_OPTIONS = { level: 1, strategy: constants.Z_DEFAULT_STRATEGY };

/**
 * The deflate window fitted to the body: a window that reaches back over the whole body (zlib's
 * farthest match is the window size less MIN_LOOKAHEAD, 262 bytes) finds every match the full 32 KB
 * window would, so the same bytes come out, and zlib's set-up allocates less per call (window and
 * chains scale with it): most bodies are a few KB, and each deflate is a fresh engine.
 */
export function deflateOptionsFor(bytes: number): typeof DEFLATE_OPTIONS & { windowBits?: number } {
  let windowBits = 9;
  while (windowBits < 15 && (1 << windowBits) - 262 < bytes) windowBits++;
  return windowBits < 15 ? { ...DEFLATE_OPTIONS, windowBits } : DEFLATE_OPTIONS;
}

/**
 * Bodies from this size on are deflated on libuv's thread pool: a 25 MB message deflated on the event
 * loop would stall every other session of the listener for a large part of a second. Below it the
 * synchronous call is cheaper (the asynchronous path builds a stream per call; measured in the bench).
 */
export const OFF_LOOP_BYTES = 256 * 1024;

export type BodyEncoding = 'raw' | 'deflate';

export function encodeBody(body: Buffer, minBytes = 1024): { data: Buffer; encoding: BodyEncoding } {
  if (body.length >= minBytes) {
    return chosen(body, deflateRawSync(body, deflateOptionsFor(body.length)));
  }
  return { data: body, encoding: 'raw' };
}

/** encodeBody, off the event loop for a body of OFF_LOOP_BYTES or more; the same result. */
export async function encodeBodyOffLoop(body: Buffer, minBytes = 1024): Promise<{ data: Buffer; encoding: BodyEncoding }> {
  if (body.length < OFF_LOOP_BYTES || body.length < minBytes) return encodeBody(body, minBytes);
  return chosen(body, await deflateRawAsync(body, { ...DEFLATE_OPTIONS, chunkSize: zlibChunkBytes(body.length) }));
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

function chosen(body: Buffer, packed: Buffer): { data: Buffer; encoding: BodyEncoding } {
  return packed.length <= body.length * 0.9 ? { data: packed, encoding: 'deflate' } : { data: body, encoding: 'raw' };
}

/** The stored body back; `size` (the meta's byte count of the body, when known) sizes inflate's buffer. */
export function decodeBody(data: Buffer, encoding: BodyEncoding, size?: number): Buffer {
  if (encoding !== 'deflate') return data;
  const bytes = size !== undefined && Number.isFinite(size) && size > 0 ? size : 0;
  return bytes > 0 ? inflateRawSync(data, { chunkSize: zlibChunkBytes(bytes) }) : inflateRawSync(data);
}
