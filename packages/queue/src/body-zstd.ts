/**
 * zstd for message bodies (`body-compression zstd`), through a native addon: Node 20's zlib has no
 * zstd. Measured against our deflate path on the size mix's bodies (packages/bench/notes.md, "zstd
 * bodies"): about 2–3× less CPU to compress at a stored size within a few percent of it (5 KB text) or
 * smaller (50 KB and more); decompression costs more than inflate in this addon (delivery's side).
 */
import { Decoder, Encoder } from '@toondepauw/node-zstd';

/**
 * Level 2: on the size mix it compresses as fast as level 1 (5 KB: 0.03 ms against deflate's 0.06; 50 KB:
 * 0.16 against 0.5; 2 MB: 9 against 20 ms) and stores 5 KB text at 0.42 of its size (level 1: 0.44,
 * deflate level 1: 0.41). Incompressible bytes (a base64 attachment) need no sampling as deflate does:
 * zstd codes them in half the CPU of deflate's Huffman-only pass, at the same size (0.75).
 */
export const ZSTD_LEVEL = 2;

/** One encoder and decoder for the synchronous calls (the event loop makes them one at a time). */
const encoder = new Encoder(ZSTD_LEVEL);
const decoder = new Decoder();

export function zstdCompressSync(body: Buffer): Buffer {
  return encoder.encodeSync(body);
}

/** On libuv's thread pool; an encoder of its own, so that calls in flight share nothing. */
export function zstdCompress(body: Buffer): Promise<Buffer> {
  return new Encoder(ZSTD_LEVEL).encode(body);
}

/** Throws the addon's error on bytes that are not a whole zstd frame. */
export function zstdDecompressSync(data: Buffer): Buffer {
  return decoder.decodeSync(data);
}
