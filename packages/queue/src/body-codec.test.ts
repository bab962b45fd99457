import { randomBytes } from 'node:crypto';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeBody, deflateOptionsFor, type BodyCompression, encodeBody, encodeBodyOffLoop, HUFFMAN_FROM_RATIO, OFF_LOOP_BYTES, sampleRatioOf, SAMPLE_FROM_BYTES, zlibChunkBytes, ZSTD_OFF_LOOP_BYTES } from './body-codec.js';
import { zstdCompressSync } from './body-zstd.js';
import { BodyEncodingError } from './errors.js';

/** A MIME part of `bytes` of base64 (random bytes, as a PDF or an image attached to a message), CRLF lines of 76. */
const base64Part = (bytes: number) => {
  const b64 = randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64');
  return Buffer.from(`${b64.match(/.{1,76}/g)!.join('\r\n')}\r\n`).subarray(0, bytes);
};

const cut = (frame: Buffer) => frame.subarray(0, frame.length - 5);

const text = (bytes: number) => Buffer.from('Subject: x\r\n\r\n' + 'All work and no play makes a dull message.\r\n'.repeat(Math.ceil(bytes / 44))).subarray(0, bytes);

describe('body codec', () => {
  it.each([
    ['a small text body', text(500)],
    ['a text body worth deflating', text(50_000)],
    ['a large text body (off the loop)', text(OFF_LOOP_BYTES * 8)],
    ['a large random body (kept raw)', randomBytes(OFF_LOOP_BYTES * 2)],
  ])('encodes %s off the loop exactly as on it, and decodes it back', async (_name, body) => {
    const off = await encodeBodyOffLoop(body);
    expect(off.encoding).toBe(encodeBody(body).encoding);
    expect(decodeBody(off.data, off.encoding).equals(body)).toBe(true);
  });

  it('lets the event loop run while a large body is deflated', async () => {
    let ran = false;
    setImmediate(() => (ran = true));
    const done = encodeBodyOffLoop(text(OFF_LOOP_BYTES * 32)).then(() => ran);
    expect(await done).toBe(true);
  });

  it.each([1, 3, 6, 9])('reads a body stored at deflate level %i (bodies stored before a level change stay readable)', (level) => {
    const body = text(50_000);
    expect(decodeBody(deflateRawSync(body, { level }), 'deflate').equals(body)).toBe(true);
  });

  it('reads a body stored with no encoding named (versions before deflate) as raw', () => {
    expect(decodeBody(Buffer.from('as stored'), undefined).toString()).toBe('as stored');
  });

  it.each([
    ['an encoding it does not know', Buffer.from([0xce, 0xb2, 0xcf, 0x00]), 'brotli', /"brotli", an encoding this version cannot read/],
    ['deflated bytes that do not inflate', Buffer.from([0xff, 0xfe, 0xfd, 0xfc]), 'deflate', /does not inflate/],
    ['bytes that are not a zstd frame', Buffer.from([0xff, 0xfe, 0xfd, 0xfc]), 'zstd', /zstd body does not decompress/],
    ['a zstd frame cut short', cut(zstdCompressSync(base64Part(5_000))), 'zstd', /zstd body does not decompress/],
    ['a zstd frame of another length than the meta says', zstdCompressSync(text(5_000)), 'zstd', /decompresses to 5000 bytes, not the 4999/],
  ])('never hands back stored bytes it cannot read: %s is a BodyEncodingError', (_name, data, encoding, message) => {
    let thrown: unknown;
    try {
      decodeBody(data, encoding, 4999);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(BodyEncodingError);
    expect(thrown).toMatchObject({ code: 'BODY_UNREADABLE', encoding });
    expect((thrown as Error).message).toMatch(message);
  });

  it('stores what plain raw inflate reads (older processes of a rolling upgrade)', () => {
    const body = text(50_000);
    const stored = encodeBody(body);
    expect(stored.encoding).toBe('deflate');
    expect(stored.data.length).toBeLessThan(body.length * 0.9);
    expect(inflateRawSync(stored.data).equals(body)).toBe(true);
  });

  it.each([1024, 1500, 4096, 5000, 8192, 10_240, 16_000, 16_384, 20_000, 32_506, 40_000])(
    'deflates a body of %i bytes with its fitted window into the same bytes as with the full window',
    (bytes) => {
      const mixed = Buffer.concat([text(bytes / 2), randomBytes(bytes / 4), text(bytes / 4)]).subarray(0, bytes);
      for (const body of [text(bytes), mixed]) {
        const fitted = deflateOptionsFor(body.length);
        expect(deflateRawSync(body, fitted).equals(deflateRawSync(body, { level: 1 }))).toBe(true);
        expect(decodeBody(encodeBody(body).data, encodeBody(body).encoding).equals(body)).toBe(true);
      }
    },
  );

  it.each([
    [0, 16 * 1024],
    [100, 16 * 1024],
    [16 * 1024, 16 * 1024],
    [50_000, 50_000],
    [2 * 1024 * 1024, 2 * 1024 * 1024],
    [1e12, 64 * 1024 * 1024],
  ])('sizes zlib\'s output buffer for %i bytes at %i (one buffer for the whole body, bounded)', (bytes, chunk) => {
    expect(zlibChunkBytes(bytes)).toBe(chunk);
  });

  it.each([
    ['the size from the meta', (b: Buffer) => b.length],
    ['no size (a record without one)', () => undefined],
    ['a wrong size (too small)', () => 100],
    ['a wrong size (too large)', (b: Buffer) => b.length * 3],
    ['a size that is not a number', () => Number('x')],
  ])('decodes a 2 MB body byte for byte with %s', async (_name, size) => {
    const body = Buffer.concat([text(1024 * 1024), randomBytes(64 * 1024), text(1024 * 1024 - 64 * 1024)]);
    const stored = await encodeBodyOffLoop(body);
    expect(stored.encoding).toBe('deflate');
    expect(stored.data.equals(deflateRawSync(body, { level: 1 }))).toBe(true);
    expect(decodeBody(stored.data, stored.encoding, size(body)).equals(body)).toBe(true);
  });
  it.each([
    ['a small body, never sampled', 5_000, undefined, constants.Z_DEFAULT_STRATEGY],
    ['text (level 1 leaves 0.36–0.41)', 100_000, 0.4, constants.Z_DEFAULT_STRATEGY],
    ['a sample just under the line', 100_000, HUFFMAN_FROM_RATIO - 0.01, constants.Z_DEFAULT_STRATEGY],
    ['a sample at the line', 100_000, HUFFMAN_FROM_RATIO, constants.Z_HUFFMAN_ONLY],
    ['base64 (level 1 leaves 0.76)', 2_000_000, 0.76, constants.Z_HUFFMAN_ONLY],
    ['bytes that do not compress', 300_000, 1.01, constants.Z_HUFFMAN_ONLY],
  ])('codes %s (%i bytes, sample ratio %s) with zlib strategy %i', (_name, bytes, ratio, strategy) => {
    expect(deflateOptionsFor(bytes, ratio)).toMatchObject({ level: 1, strategy });
  });

  it.each([
    ['on the event loop', SAMPLE_FROM_BYTES * 2],
    ['off the loop', OFF_LOOP_BYTES * 8],
  ])('stores a message whose bulk is a base64 attachment Huffman coded (%s): what Huffman coding alone gives, and plain raw inflate reads it', async (_where, bytes) => {
    const body = Buffer.concat([text(4_000), base64Part(bytes)]);
    expect(sampleRatioOf(body)).toBeGreaterThanOrEqual(HUFFMAN_FROM_RATIO);
    const stored = await encodeBodyOffLoop(body);
    expect(stored.encoding).toBe('deflate');
    expect(stored.data.equals(deflateRawSync(body, { level: 1, strategy: constants.Z_HUFFMAN_ONLY }))).toBe(true);
    expect(stored.data.length).toBeLessThan(body.length * 0.8);
    expect(inflateRawSync(stored.data).equals(body)).toBe(true);
    expect(decodeBody(stored.data, stored.encoding, body.length).equals(body)).toBe(true);
  });

  it('keeps level 1 for a large text body and for a base64 attachment under the sampling size', () => {
    const big = text(SAMPLE_FROM_BYTES * 4);
    expect(sampleRatioOf(big)).toBeLessThan(HUFFMAN_FROM_RATIO);
    expect(encodeBody(big).data.equals(deflateRawSync(big, { level: 1 }))).toBe(true);
    const small = Buffer.concat([text(1_000), base64Part(SAMPLE_FROM_BYTES - 2_000)]);
    expect(sampleRatioOf(small)).toBeUndefined();
    expect(encodeBody(small).data.equals(deflateRawSync(small, deflateOptionsFor(small.length)))).toBe(true);
  });
});

describe('body codec: the writer\'s choice (body-compression)', () => {
  const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
  const mixed = (bytes: number) => Buffer.concat([text(Math.ceil(bytes / 2)), base64Part(Math.ceil(bytes / 2))]).subarray(0, bytes);
  const bodies: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['1 byte', Buffer.from('x')],
    ['1023 bytes (under the compress minimum)', text(1023)],
    ['1024 bytes (at the compress minimum)', text(1024)],
    ['5 KB of text', text(5 * 1024)],
    ['50 KB of text', text(50 * 1024)],
    ['64 KB of base64 (SAMPLE_FROM_BYTES)', base64Part(SAMPLE_FROM_BYTES)],
    ['one byte under OFF_LOOP_BYTES', text(OFF_LOOP_BYTES - 1)],
    ['exactly OFF_LOOP_BYTES', text(OFF_LOOP_BYTES)],
    ['one byte under ZSTD_OFF_LOOP_BYTES', text(ZSTD_OFF_LOOP_BYTES - 1)],
    ['exactly ZSTD_OFF_LOOP_BYTES', text(ZSTD_OFF_LOOP_BYTES)],
    ['50 KB of text (the size mix)', text(50 * 1024)],
    ['2 MB of text and a base64 attachment', mixed(2 * 1024 * 1024)],
    ['random bytes (not worth compressing)', randomBytes(OFF_LOOP_BYTES + 10)],
  ];
  const modes: BodyCompression[] = ['zstd', 'deflate', 'none'];
  const rows = modes.flatMap((mode) => bodies.map(([name, body]) => [mode, name, body] as const));

  it.each(rows)('%s: stores %s on and off the event loop alike and reads it back byte for byte', async (mode, _name, body) => {
    const on = encodeBody(body, 1024, mode);
    const off = await encodeBodyOffLoop(body, 1024, mode);
    expect(off.encoding).toBe(on.encoding);
    for (const stored of [on, off]) expect(decodeBody(stored.data, stored.encoding, body.length).equals(body)).toBe(true);
    if (mode === 'none' || body.length < 1024) expect(on).toEqual({ data: body, encoding: 'raw' });
    if (on.encoding !== 'raw') expect(on.data.length).toBeLessThanOrEqual(body.length * 0.9);
  });

  it('stores compressible bodies as zstd frames when asked, and any reader takes them without a size', () => {
    for (const body of [text(5 * 1024), text(50 * 1024), mixed(300_000)]) {
      const stored = encodeBody(body, 1024, 'zstd');
      expect(stored.encoding).toBe('zstd');
      expect(stored.data.subarray(0, 4).equals(ZSTD_MAGIC)).toBe(true);
      expect(decodeBody(stored.data, 'zstd').equals(body)).toBe(true);
    }
  });

  it('keeps a body raw under zstd too when compressing would not save a tenth', async () => {
    const body = randomBytes(OFF_LOOP_BYTES * 2);
    expect(encodeBody(body, 1024, 'zstd')).toEqual({ data: body, encoding: 'raw' });
    expect(await encodeBodyOffLoop(body, 1024, 'zstd')).toEqual({ data: body, encoding: 'raw' });
  });

  it('lets the event loop run while a large body is compressed with zstd', async () => {
    let ran = false;
    setImmediate(() => (ran = true));
    const stored = await encodeBodyOffLoop(text(OFF_LOOP_BYTES * 32), 1024, 'zstd').then((r) => ({ r, ran }));
    expect(stored.ran).toBe(true);
    expect(stored.r.encoding).toBe('zstd');
  });

  it('compresses a zstd body of ZSTD_OFF_LOOP_BYTES or more off the event loop, and a smaller one on it', async () => {
    for (const [bytes, offLoop] of [[ZSTD_OFF_LOOP_BYTES - 1, false], [ZSTD_OFF_LOOP_BYTES, true], [50 * 1024, true]] as const) {
      // Compressed on the loop, the promise settles within this turn's microtasks; on the pool, only once the
      // event loop has taken the pool's answer (a later turn).
      let settled = false;
      const pending = encodeBodyOffLoop(text(bytes), 1024, 'zstd').then((r) => ((settled = true), r));
      for (let i = 0; i < 5; i++) await Promise.resolve();
      expect(settled).toBe(!offLoop);
      const stored = await pending;
      expect(stored.encoding).toBe('zstd');
      expect(decodeBody(stored.data, 'zstd', bytes).equals(text(bytes))).toBe(true);
    }
  });

  it('writes deflate when no choice is given (the default for a fleet with older workers)', () => {
    expect(encodeBody(text(5 * 1024)).encoding).toBe('deflate');
  });
});
