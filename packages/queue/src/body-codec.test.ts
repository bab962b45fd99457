import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeBody, deflateOptionsFor, encodeBody, encodeBodyOffLoop, OFF_LOOP_BYTES, zlibChunkBytes } from './body-codec.js';

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
});
