/**
 * patches/nodemailer@10.6.0.patch replaces DataStream's per-byte loop (dot-stuffing, bare CR/LF to CRLF) by
 * jumps between line breaks with Buffer#indexOf, and holds each chunk's output back until the next chunk
 * (or the end) so that the last one goes out in one push with the final dot line: one socket write for a
 * body of one chunk instead of two (under 64 KB; a larger output goes out as it is, then the dot line,
 * rather than being copied to join them). These tests hold the patched stream, ESM and CommonJS builds, to
 * `reference` below: our byte-by-byte statement of what the published stream does (one push per non-empty
 * chunk, then one for the dot line; a dot at the start of a line doubled, the stream's start and a chunk
 * boundary included; a bare LF and a bare CR become CRLF, a dot after a bare CR stuffed too), with its last
 * two pushes joined when the first of them is under 64 KB, over random bodies of dots, CR, LF, CRLF and
 * other bytes, cut into random chunks (empty ones and strings included). The bytes are those of the
 * published stream.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { seededRandom } from '@vmta/testing';
import { describe, expect, it } from 'vitest';

type DataStreamClass = (new () => Transform & { inByteCount: number; outByteCount: number }) & {
  /** The patch's whole-Buffer path (SMTPConnection#send with a Buffer): the pieces to write and the counters. */
  encodeWhole?: (message: Buffer) => { chunks: Buffer[]; inByteCount: number; outByteCount: number };
};

const require = createRequire(import.meta.url);
const cjsFile = path.join(path.dirname(require.resolve('nodemailer/lib/smtp-connection')), 'data-stream.js');
// The ESM build sits next to the CommonJS one (dist/esm, dist/cjs).
const esmFile = cjsFile.replace(`${path.sep}cjs${path.sep}`, `${path.sep}esm${path.sep}`);
const patched: Record<string, DataStreamClass> = {
  esm: ((await import(esmFile)) as { default: DataStreamClass }).default,
  cjs: require(cjsFile) as DataStreamClass,
};


const BYTES = [0x0d, 0x0a, 0x2e, 0x2e, 0x41, 0x20, 0xc3];

function randomBody(r: (n: number) => number, size: number): Buffer {
  const body = Buffer.alloc(size);
  for (let i = 0; i < size; i++) {
    // Mostly the bytes that matter, now and then a whole CRLF or LF line of text.
    body[i] = r(8) === 0 ? 0x61 + r(26) : BYTES[r(BYTES.length)]!;
  }
  return body;
}

function randomChunks(r: (n: number) => number, body: Buffer, maxChunk: number): (Buffer | string)[] {
  const chunks: (Buffer | string)[] = [];
  for (let at = 0; at < body.length; ) {
    const n = r(maxChunk + 1);
    const part = body.subarray(at, at + n);
    // Strings only of ASCII bytes: Buffer.from(string) must give the same bytes back.
    chunks.push(r(5) === 0 && part.every((b) => b < 0x80) ? part.toString('latin1') : part);
    at += n;
  }
  return chunks;
}

const JOIN_TAIL_BELOW_BYTES = 64 * 1024;

/** What the stream pushes for `chunks` and its byte counters, stated one byte at a time. */
function reference(chunks: (Buffer | string)[]): { pushes: string[]; inBytes: number; outBytes: number } {
  const pushes: string[] = [];
  let inBytes = 0;
  let outBytes = 0;
  let last: number | undefined;
  for (const c of chunks) {
    const chunk = typeof c === 'string' ? Buffer.from(c) : c;
    if (chunk.length === 0) continue;
    inBytes += chunk.length;
    const out: number[] = [];
    for (const byte of chunk) {
      // A bare CR becomes CRLF, and a dot right after it is stuffed (a receiver that ends lines at a
      // lone CR must not see "\r.\r" as the end of the data).
      if (last === 0x0d && byte !== 0x0a) out.push(0x0a, ...(byte === 0x2e ? [0x2e] : []), byte);
      // A bare LF becomes CRLF.
      else if (byte === 0x0a && last !== 0x0d) out.push(0x0d, 0x0a);
      // A dot at the start of a line (or of the data) is doubled.
      else if (byte === 0x2e && (last === undefined || last === 0x0a)) out.push(0x2e, 0x2e);
      else out.push(byte);
      last = byte;
    }
    outBytes += out.length;
    pushes.push(Buffer.from(out).toString('hex'));
  }
  const end = last === 0x0a ? '.\r\n' : last === 0x0d ? '\n.\r\n' : '\r\n.\r\n';
  outBytes += end.length;
  // The published stream pushes the dot line on its own; the patched one joins it to the last chunk's
  // output when that is under 64 KB.
  const lastChunk = pushes.pop() ?? '';
  if (lastChunk.length / 2 < JOIN_TAIL_BELOW_BYTES) pushes.push(lastChunk + Buffer.from(end).toString('hex'));
  else pushes.push(lastChunk, Buffer.from(end).toString('hex'));
  return { pushes, inBytes, outBytes };
}

/** Every push of the stream, in order, and its byte counters, the chunks given to _transform one by one. */
function run(DataStream: DataStreamClass, chunks: (Buffer | string)[]): { pushes: string[]; inBytes: number; outBytes: number } {
  const stream = new DataStream() as Transform & { inByteCount: number; outByteCount: number };
  const pushes: string[] = [];
  stream.push = (chunk: Buffer) => (pushes.push(chunk.toString('hex')), true);
  const done = (err?: Error | null) => {
    if (err) throw err;
  };
  for (const chunk of chunks) stream._transform(chunk, 'latin1', done);
  stream._flush(done);
  return { pushes, inBytes: stream.inByteCount, outBytes: stream.outByteCount };
}

describe.each(Object.keys(patched))('the patched nodemailer DataStream (%s build)', (build) => {
  const DataStream = patched[build]!;

  it('is the patched code, not the per-byte loop', () => {
    const source = readFileSync(build === 'esm' ? esmFile : cjsFile, 'utf8');
    expect(source).toContain('chunk.indexOf(0x0a');
    expect(source).not.toContain('for (i = 0, len = chunk.length; i < len; i++)');
  });

  it('pushes a body of one chunk and its final dot line as one buffer (one socket write)', () => {
    const body = Buffer.from('Subject: hi\r\n\r\n.leading dot\r\nbare\nend');
    const { pushes } = run(DataStream, [body]);
    expect(pushes.map((h) => Buffer.from(h, 'hex').toString('latin1'))).toEqual(['Subject: hi\r\n\r\n..leading dot\r\nbare\r\nend\r\n.\r\n']);
  });

  it('pushes a body of 64 KB or more in one chunk as the very buffer it got, then the dot line (no copy of the body)', () => {
    for (const bytes of [JOIN_TAIL_BELOW_BYTES, 2 * 1024 * 1024]) {
      const body = Buffer.from(`${'z'.repeat(78)}\r\n`.repeat(Math.ceil(bytes / 80))).subarray(0, bytes);
      const stream = new DataStream();
      const pushed: Buffer[] = [];
      stream.push = (chunk: Buffer) => (pushed.push(chunk), true);
      stream._transform(body, 'latin1', () => undefined);
      stream._flush(() => undefined);
      expect(pushed).toHaveLength(2);
      expect(pushed[0]).toBe(body);
      expect(pushed[1]!.toString()).toBe('\r\n.\r\n');
      expect(run(DataStream, [body]).pushes).toEqual(reference([body]).pushes);
    }
  });

  it('pushes what the reference says for 20,000 random bodies cut into random chunks', () => {
    const r = seededRandom(0x5eed + build.length);
    for (let round = 0; round < 20_000; round++) {
      const body = randomBody(r, r(48));
      const chunks = randomChunks(r, body, 1 + r(8));
      if (r(8) === 0) chunks.splice(r(chunks.length + 1), 0, Buffer.alloc(0));
      const expected = reference(chunks);
      const actual = run(DataStream, chunks);
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        expect({ chunks: chunks.map((c) => Buffer.from(c).toString('hex')), ...actual }).toEqual({ chunks: chunks.map((c) => Buffer.from(c).toString('hex')), ...expected });
      }
    }
  });

  it('encodes a whole Buffer without a stream as the stream would: the same pieces and counters, for 20,000 random bodies', () => {
    const encodeWhole = DataStream.encodeWhole!;
    expect(typeof encodeWhole).toBe('function');
    const r = seededRandom(0xb0d1 + build.length);
    for (let round = 0; round < 20_000; round++) {
      const body = randomBody(r, r(64));
      const expected = reference([body]);
      const got = encodeWhole(body);
      const actual = { pushes: got.chunks.map((c) => c.toString('hex')), inBytes: got.inByteCount, outBytes: got.outByteCount };
      if (JSON.stringify(actual) !== JSON.stringify(expected)) expect({ body: body.toString('hex'), ...actual }).toEqual({ body: body.toString('hex'), ...expected });
    }
  });

  it('encodes a whole Buffer of 64 KB or more as that very buffer, then the dot line (no copy)', () => {
    const body = Buffer.from(`${'z'.repeat(78)}\r\n`.repeat(1000));
    const { chunks, outByteCount } = DataStream.encodeWhole!(body);
    expect(chunks).toHaveLength(2);
    expect(chunks[0]).toBe(body);
    expect(chunks[1]!.toString()).toBe('.\r\n');
    expect(outByteCount).toBe(body.length + 3);
  });

  it('gives the output of the reference for large bodies piped in random chunk sizes', async () => {
    const r = seededRandom(42);
    for (let round = 0; round < 20; round++) {
      const lines: string[] = [];
      for (let i = 0, n = round % 4 === 0 ? 3_000 : 500; i < n; i++) {
        const start = ['', '.', '..', '\r', '\n', '.\r', ''][r(7)]!;
        lines.push(start + 'x'.repeat(r(90)) + ['\r\n', '\r\n', '\r\n', '\n', '\r', '\r\r\n'][r(6)]);
      }
      const body = Buffer.from(lines.join(''));
      const chunks = randomChunks(r, body, [3, 17, 1000, 65536][r(4)]!);
      const collect = async (DataStreamOf: DataStreamClass): Promise<Buffer> => {
        const out: Buffer[] = [];
        await pipeline(Readable.from(chunks, { objectMode: false }), new DataStreamOf(), async (source: AsyncIterable<Buffer>) => {
          for await (const chunk of source) out.push(chunk);
        });
        return Buffer.concat(out);
      };
      const expected = Buffer.concat(reference(chunks).pushes.map((h) => Buffer.from(h, 'hex')));
      expect((await collect(DataStream)).equals(expected)).toBe(true);
    }
  });
});
